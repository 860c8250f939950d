/**
 * The WeChat Pay simulator's own signing, written from WeChat Pay's v2 签名算法 rules (接口规则 → 安全规范,
 * https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=4_3):
 * 第一步 集合M内非空参数值的参数按照参数名ASCII码从小到大排序(字典序)，使用URL键值对的格式(key1=value1&key2=value2…)拼接成
 * 字符串stringA (the `sign` parameter itself does not take part; names are case-sensitive);
 * 第二步 stringSignTemp = stringA + "&key=" + API密钥; MD5(stringSignTemp) 转大写, or for HMAC-SHA256
 * hash_hmac("sha256", stringSignTemp, key) 转大写.
 * Independent of the kiosk's protocol/payments/wechat/wechat-sign.ts; both are checked against the rules' worked example.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type SimSignType = 'MD5' | 'HMAC-SHA256';

/** 第一步: stringA. */
export function stringA(fields: Record<string, string | undefined>): string {
  const names = Object.keys(fields).filter((name) => name !== 'sign' && (fields[name] ?? '') !== '');
  names.sort((x, y) => {
    // byte-wise ASCII comparison (names are ASCII)
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const d = x.charCodeAt(i) - y.charCodeAt(i);
      if (d !== 0) return d;
    }
    return x.length - y.length;
  });
  return names.map((name) => name + '=' + fields[name]).join('&');
}

/** 第二步: the sign value. */
export function signValue(fields: Record<string, string | undefined>, key: string, type: SimSignType): string {
  const stringSignTemp = stringA(fields) + '&key=' + key;
  const hex =
    type === 'HMAC-SHA256'
      ? createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(stringSignTemp, 'utf8')).digest('hex')
      : createHash('md5').update(Buffer.from(stringSignTemp, 'utf8')).digest('hex');
  return hex.toUpperCase();
}

/** Whether `fields.sign` matches (constant time). */
export function signMatches(fields: Record<string, string | undefined>, key: string, type: SimSignType): boolean {
  const given = Buffer.from(fields.sign ?? '', 'utf8');
  const wanted = Buffer.from(signValue(fields, key, type), 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
