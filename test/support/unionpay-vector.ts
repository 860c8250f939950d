/**
 * An answer UnionPay's ACP test environment signed (signMethod 01), with the signing certificate it carried, as
 * published in yansongda/pay `tests/Traits/UnipayTraitTest.php` (testVerifyUnipaySign): the raw answer text
 * (`signature` taken out, as that test keeps it apart) and its signature. The certificate (CN
 * 041@8310000000083040@中国银联股份有限公司@00016495, issued by CFCA TEST OCA1, serial 0x1039308534) is valid
 * 2020-07-31 … 2025-07-31; its CA is not ours, so it serves as a signature vector, not a chain vector.
 */
const CERT_BODY = [
  'MIIEYzCCA0ugAwIBAgIFEDkwhTQwDQYJKoZIhvcNAQEFBQAwWDELMAkGA1UEBhMC',
  'Q04xMDAuBgNVBAoTJ0NoaW5hIEZpbmFuY2lhbCBDZXJ0aWZpY2F0aW9uIEF1dGhv',
  'cml0eTEXMBUGA1UEAxMOQ0ZDQSBURVNUIE9DQTEwHhcNMjAwNzMxMDExOTE2WhcN',
  'MjUwNzMxMDExOTE2WjCBljELMAkGA1UEBhMCY24xEjAQBgNVBAoTCUNGQ0EgT0NB',
  'MTEWMBQGA1UECxMNTG9jYWwgUkEgT0NBMTEUMBIGA1UECxMLRW50ZXJwcmlzZXMx',
  'RTBDBgNVBAMMPDA0MUA4MzEwMDAwMDAwMDgzMDQwQOS4reWbvemTtuiBlOiCoeS7',
  'veaciemZkOWFrOWPuEAwMDAxNjQ5NTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCC',
  'AQoCggEBAMHNa81t44KBfUWUgZhb1YTx3nO9DeagzBO5ZEE9UZkdK5+2IpuYi48w',
  'eYisCaLpLuhrwTced19w2UR5hVrc29aa2TxMvQH9s74bsAy7mqUJX+mPd6KThmCr',
  't5LriSQ7rDlD0MALq3yimLvkEdwYJnvyzA6CpHntP728HIGTXZH6zOL0OAvTnP8u',
  'RCHZ8sXJPFUkZcbG3oVpdXQTJVlISZUUUhsfSsNdvRDrcKYY+bDWTMEcG8ZuMZzL',
  'g0N+/spSwB8eWz+4P87nGFVlBMviBmJJX8u05oOXPyIcZu+CWybFQVcS2sMWDVZy',
  'sPeT3tPuBDbFWmKQYuu+gT83PM3G6zMCAwEAAaOB9DCB8TAfBgNVHSMEGDAWgBTP',
  'cJ1h6518Lrj3ywJA9wmd/jN0gDBIBgNVHSAEQTA/MD0GCGCBHIbvKgEBMDEwLwYI',
  'KwYBBQUHAgEWI2h0dHA6Ly93d3cuY2ZjYS5jb20uY24vdXMvdXMtMTQuaHRtMDkG',
  'A1UdHwQyMDAwLqAsoCqGKGh0dHA6Ly91Y3JsLmNmY2EuY29tLmNuL1JTQS9jcmw3',
  'NTAwMy5jcmwwCwYDVR0PBAQDAgPoMB0GA1UdDgQWBBTmzk7XEM/J/sd+wPrMils3',
  '9rJ2/DAdBgNVHSUEFjAUBggrBgEFBQcDAgYIKwYBBQUHAwQwDQYJKoZIhvcNAQEF',
  'BQADggEBAJLbXxbJaFngROADdNmNUyVxPtbAvK32Ia0EjgDh/vjn1hpRNgvL4flH',
  'NsGNttCy8afLJcH8UnFJyGLas8v/P3UKXTJtgrOj1mtothv7CQa4LUYhzrVw3UhL',
  '4L1CTtmE6D1Kf3+c2Fj6TneK+MoK9AuckySjK5at6a2GQi18Y27gVF88Nk8bp1lJ',
  'vzOwPKd8R7iGFotuF4/8GGhBKR4k46EYnKCodyIhNpPdQfpaN5AKeS7xeLSbFvPJ',
  'HYrtBsI48jUK/WKtWBJWhFH+Gty+GWX0e5n2QHXHW6qH62M0lDo7OYeyBvG1mh9u',
  'Q0C300Eo+XOoO4M1WvsRBAF13g9RPSw=',
];

/** The certificate as it appears in the answer (CR LF line ends, as UnionPay sends it). */
export const UNIONPAY_TEST_CERT_PEM = ['-----BEGIN CERTIFICATE-----', ...CERT_BODY, '-----END CERTIFICATE-----'].join('\r\n');

/** Its serial number in decimal (what an ACP `certId` would carry). */
export const UNIONPAY_TEST_CERT_ID = '69678957876';

export const PUBLISHED_ANSWER_FIELDS: Record<string, string> = {
  accNo:
    'ORRSXWY1kMr8UJNxGx9xKPuO0Uhm8JT8aQV3sWswJfIsj/grkjauH4soyAtiqB9XwQotZOwmUAs/pkMupUkfiX9npdFGGEUEc5gqq+lcEwyD7tLmd2WBzRvcEvvjAKMKwTCFDxmQbIrP48ocIVhPoZ87ZQtQM5MIyJYedrzPRlt6BzRddUPGU1gJwDA8APDx3iyNl8EAfenJw7DUDZimmhbE1VSRmQm/iqgJurI7juq/6ztDHZHv4ys1eN9JYkwhcKxCjsWpwXTSy0PGvDXhsAZsDuNXHsjI8JLhHXvTDaU2+gc289LZPiwpr4Ah/reIuPWrIHubchYm2XTqQlUAaw==',
  accessType: '0',
  bizType: '000201',
  currencyCode: '156',
  encoding: 'utf-8',
  exchangeRate: '0',
  merId: '777290058167151',
  orderId: 'yansongda20220908132206',
  queryId: '782209081322060674028',
  respCode: '00',
  respMsg: 'success',
  settleAmt: '1',
  settleCurrencyCode: '156',
  settleDate: '0908',
  signMethod: '01',
  signPubKeyCert: UNIONPAY_TEST_CERT_PEM,
  traceNo: '067402',
  traceTime: '0908132206',
  txnAmt: '1',
  txnSubType: '01',
  txnTime: '20220908132206',
  txnType: '01',
  version: '5.1.0',
};

/** The signature UnionPay gave that answer. */
export const PUBLISHED_SIGNATURE =
  'JeA4S2+6TbGo9yjXDUvV5A2E3oJbunoCcZ66exN6xR3OH/5PNDK1VSV1Mq7XhVdxzkTeREUveiOYHalqoagRkh71nsHVvruwGbk6azygXSaawuO5tF67UIqNd4Mbufwh1KhbVpEkKbOETUvRhFcdon0fulE97I83eMSk52INHt8E1xk8NdbhyUadSlp+Uv30AKx70PpQbTGmVS3PJfd+Whj0b7LnvZKeC+BS1kUOtIKlcZO+gBoTigvCIJqj51kBrcBCs+x+VaeGm7EYBBhGSERpfQhQ4n+eJBwLdBeZ0/dNbo3iELjvVMx0n9KoW4klvUJhaH5LALA8pV02SbZv4Q==';

/** The answer text as it came over the wire (ACP `k=v&…`, values not encoded), signature included. */
export const PUBLISHED_ANSWER_TEXT = Object.entries({ ...PUBLISHED_ANSWER_FIELDS, signature: PUBLISHED_SIGNATURE })
  .map(([k, v]) => `${k}=${v}`)
  .join('&');
