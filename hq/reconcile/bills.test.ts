import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { isKioskError } from '../../kernel/errors';
import { alipayBill, alipayRow, wechatBill, wechatPayment, wechatRefund, zmFile, zmPayment, zmRefund } from '../../test/support/bill-samples';
import { parseAlipayBill } from './alipay-bill';
import { BILL_LIMITS } from './bill-types';
import { parseUnionpayBill } from './unionpay-bill';
import { parseWechatBill } from './wechat-bill';

const at = (s: string) => Date.parse(`${s.replace(' ', 'T')}+08:00`);
const A = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const B = '1a2b3c4d5e6f70819203a4b5c6d7e8f9';

/** The KioskError BAD_DATA a parse throws (fails the test when it throws something else or nothing). */
function badData(parse: () => unknown): { message: string; line?: unknown } {
  try {
    parse();
  } catch (e) {
    if (isKioskError(e) && e.code === 'BAD_DATA') return { message: e.message, line: e.details.line };
    throw e;
  }
  throw new Error('parsed without an error');
}

describe('WeChat Pay bill (downloadbill ALL)', () => {
  const payment = wechatPayment({ time: '2026-12-05 10:15:02', txn: '4200000001202612050000000001', orderNo: A, amount: '12.34', fee: '0.07', name: '牛奶, 面包' });
  const refund = wechatRefund({ time: '2026-12-05 18:00:00', txn: '4200000001202612050000000001', orderNo: A, refundId: '50000000012026120500000001', refundNo: 'att-1-refund-1', paid: '12.34', refund: '5.00', fee: '-0.03' });

  it('reads payments and refunds in fen, Beijing times as epoch ms, the returned fee positive', () => {
    const bill = parseWechatBill(wechatBill([payment, refund], ['2', '12.34', '5.00', '0.00', '0.04', '12.34', '5.00']));
    expect(bill.trades).toEqual([{ orderNo: A, transactionId: '4200000001202612050000000001', amount: 1234, fee: 7, time: at('2026-12-05 10:15:02'), line: 2 }]);
    expect(bill.refunds).toEqual([
      { refundNo: 'att-1-refund-1', orderNo: A, paymentTransactionId: '4200000001202612050000000001', amount: 500, feeReturned: 3, time: at('2026-12-05 18:00:00'), line: 3 },
    ]);
    expect(bill.totals).toEqual({ trades: 1, refunds: 1, tradeAmount: 1234, refundAmount: 500, netFees: 4 });
  });

  it('checks the summary line against the rows (count, amounts, fees)', () => {
    expect(badData(() => parseWechatBill(wechatBill([payment, refund], ['3', '12.34', '5.00', '0.00', '0.04', '12.34', '5.00'])))).toEqual({ message: expect.stringContaining('总交易单数'), line: 5 });
    expect(badData(() => parseWechatBill(wechatBill([payment, refund], ['2', '12.35', '5.00', '0.00', '0.04', '12.34', '5.00'])))).toEqual({ message: expect.stringContaining('应结订单总金额'), line: 5 });
    expect(badData(() => parseWechatBill(wechatBill([payment, refund], ['2', '12.34', '5.00', '0.00', '0.07', '12.34', '5.00'])))).toEqual({ message: expect.stringContaining('手续费总金额'), line: 5 });
  });

  it('names the line of a malformed row', () => {
    const bad = payment.replace('`12.34,', '`12.3x4,');
    expect(badData(() => parseWechatBill(wechatBill([refund, bad], ['2', '12.34', '5.00', '0.00', '0.04', '12.34', '5.00'])))).toEqual({ message: expect.stringMatching(/line 3: 应结订单金额/), line: 3 });
    expect(badData(() => parseWechatBill(wechatBill([payment.replace('2026-12-05 10:15:02', '2026-02-30 10:15:02')], ['1', '12.34', '0.00', '0.00', '0.07', '12.34', '0.00'])))).toMatchObject({ line: 2 });
    expect(badData(() => parseWechatBill(Buffer.from('hello\r\n')))).toMatchObject({ line: 1 });
  });
});

describe('Alipay trade bill (业务明细)', () => {
  const rows = [
    alipayRow({ txn: '2026120522001400000000000001', orderNo: 'c0ffee00-1111-4222-8333-944455556666', kind: '交易', time: '2026-12-05 09:30:00', total: '12.50', received: '12.50', fee: '-0.08' }),
    alipayRow({ txn: '2026120522001400000000000001', orderNo: 'c0ffee00-1111-4222-8333-944455556666', kind: '退款', time: '2026-12-05 11:00:00', total: '12.50', received: '-2.50', refundNo: 'req-1', fee: '0.02' }),
  ];

  it('reads the GBK file and the same file in UTF-8 alike', () => {
    const gbk = parseAlipayBill(alipayBill(rows, [1, 1], 'gbk'));
    expect(gbk).toEqual(parseAlipayBill(alipayBill(rows, [1, 1], 'utf8')));
    expect(gbk.trades).toEqual([{ orderNo: 'c0ffee00-1111-4222-8333-944455556666', transactionId: '2026120522001400000000000001', amount: 1250, fee: 8, time: at('2026-12-05 09:30:00'), line: 6 }]);
    expect(gbk.refunds).toEqual([
      { refundNo: 'req-1', orderNo: 'c0ffee00-1111-4222-8333-944455556666', paymentTransactionId: '2026120522001400000000000001', amount: 250, feeReturned: 2, time: at('2026-12-05 11:00:00'), line: 7 },
    ]);
    expect(gbk.totals.netFees).toBe(6);
  });

  it('checks #交易合计 against the rows, and a refund\'s sign', () => {
    expect(badData(() => parseAlipayBill(alipayBill(rows, [2, 1])))).toEqual({ message: expect.stringContaining('2 payments'), line: 9 });
    const positive = rows[1].replace('-2.50', '2.50');
    expect(badData(() => parseAlipayBill(alipayBill([rows[0], positive], [1, 1])))).toMatchObject({ line: 7 });
  });
});

describe('UnionPay ZM file (fixed width)', () => {
  const pay = zmPayment({ trace: '000123', time: '1205101502', amount: 1234, queryId: '612051015020000001234', orderId: A, fee: 5, account: '6216****1234' });
  const ref = zmRefund({ trace: '000124', time: '1205120000', amount: 500, queryId: '612051200000000001240', orderId: `${B.slice(0, 24)}refund1`, fee: 2, origQueryId: '612051015020000001234', origTrace: '000123', origTime: '1205101502' });

  it('reads purchases and refunds, links a refund to its payment by 原交易查询流水号, keeps no card number', () => {
    const bill = parseUnionpayBill(zmFile([pay, ref]), '2026-12-05');
    expect(bill.trades).toEqual([{ orderNo: A, transactionId: '612051015020000001234', amount: 1234, fee: 5, time: at('2026-12-05 10:15:02'), line: 1 }]);
    expect(bill.refunds).toEqual([{ refundNo: `${B.slice(0, 24)}refund1`, orderNo: A, paymentTransactionId: '612051015020000001234', amount: 500, feeReturned: 2, time: at('2026-12-05 12:00:00'), line: 2 }]);
    expect(JSON.stringify(bill)).not.toContain('6216');
  });

  it('puts a 31 December transmission on a 1 January bill in the year before', () => {
    const late = zmPayment({ trace: '000001', time: '1231235959', amount: 100, queryId: '612311235959000000001', orderId: A, fee: 0 });
    expect(parseUnionpayBill(zmFile([late]), '2027-01-01').trades[0].time).toBe(at('2026-12-31 23:59:59'));
  });

  it('refuses a record whose 结算金额 is not the amount less the fee, or of the wrong width, with its line', () => {
    const wrong = pay.replace('C000000001229', 'C000000001230');
    expect(badData(() => parseUnionpayBill(zmFile([ref, wrong]), '2026-12-05'))).toMatchObject({ line: 2 });
    expect(badData(() => parseUnionpayBill(zmFile([pay.slice(0, -1)]), '2026-12-05'))).toMatchObject({ line: 1, message: expect.stringContaining('bytes') });
  });
});

describe('hostile bills: every malformed input is BAD_DATA, never another exception', () => {
  const samples: [string, (b: Buffer) => unknown, Buffer][] = [
    ['wechat', parseWechatBill, wechatBill([wechatPayment({ time: '2026-12-05 10:15:02', txn: '42', orderNo: A, amount: '12.34', fee: '0.07' })], ['1', '12.34', '0.00', '0.00', '0.07', '12.34', '0.00'])],
    ['alipay', parseAlipayBill, alipayBill([alipayRow({ txn: '2026', orderNo: A, kind: '交易', time: '2026-12-05 09:30:00', total: '1.00', received: '1.00', fee: '-0.01' })], [1, 0])],
    ['unionpay', (b) => parseUnionpayBill(b, '2026-12-05'), zmFile([zmPayment({ trace: '1', time: '1205101502', amount: 1234, queryId: '6120510', orderId: A, fee: 5 })])],
  ];

  it.each(samples)('%s: mutated bytes parse or fail with BAD_DATA (fast-check)', (_name, parse, sample) => {
    expect(() => parse(sample)).not.toThrow();
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('set', 'insert', 'delete') }), { minLength: 1, maxLength: 8 }), (ms) => {
        const bytes = [...sample];
        for (const m of ms) {
          const i = m.at % Math.max(1, bytes.length);
          if (m.op === 'set') bytes[i] = m.byte;
          else if (m.op === 'insert') bytes.splice(i, 0, m.byte);
          else bytes.splice(i, 1);
        }
        try {
          parse(Buffer.from(bytes));
        } catch (e) {
          expect(isKioskError(e) && e.code === 'BAD_DATA').toBe(true);
          expect((e as Error).message.length).toBeLessThan(500);
        }
      }),
      { numRuns: 500 },
    );
  });

  it.each(samples)('%s: random bytes, a huge line, too many lines, a NUL file are BAD_DATA', (_name, parse) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        try {
          parse(Buffer.from(b));
        } catch (e) {
          expect(isKioskError(e) && e.code === 'BAD_DATA').toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    expect(badData(() => parse(Buffer.alloc(BILL_LIMITS.maxLineBytes + 10, 0x41))).message).toContain('longer than');
    expect(badData(() => parse(Buffer.from('x\n'.repeat(BILL_LIMITS.maxLines + 1)))).message).toContain('more than');
    expect(badData(() => parse(Buffer.alloc(BILL_LIMITS.maxBytes + 1)))).toBeDefined();
    expect(badData(() => parse(iconv.encode('\u0000\u0000', 'gbk')))).toBeDefined();
  });
});
