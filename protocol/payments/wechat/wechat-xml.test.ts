/**
 * The flat XML of WeChat Pay messages: the kiosk's codec (wechat-xml.ts) and the simulator's (simulators/wechat/
 * wechat-wire.ts) round-trip any fields, read each other's output, and turn hostile input into null without
 * throwing.
 */
import fc from 'fast-check';
import { readXml, writeXml } from '../../../simulators/wechat/wechat-wire';
import { decodeWechatXml, encodeWechatXml } from './wechat-xml';

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/);
const fields = fc.dictionary(name, fc.string({ maxLength: 40 }), { maxKeys: 12 });

describe('WeChat XML codec', () => {
  it("decodes WeChat's documented answer shape (CDATA and plain text, declaration, whitespace)", () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <return_code><![CDATA[SUCCESS]]></return_code>\n  <total_fee>1</total_fee>\n  <body>a &amp; b &lt;c&gt;</body>\n  <empty></empty>\n</xml>\n`;
    expect(decodeWechatXml(doc)).toEqual({ return_code: 'SUCCESS', total_fee: '1', body: 'a & b <c>', empty: '' });
    expect(readXml(doc)).toEqual({ return_code: 'SUCCESS', total_fee: '1', body: 'a & b <c>', empty: '' });
  });

  it('property: decode(encode(x)) = x, and the simulator reads the kiosk and vice versa', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const fromKiosk = encodeWechatXml(f);
        const fromSim = writeXml(f);
        const a = decodeWechatXml(fromKiosk);
        return JSON.stringify(a) === JSON.stringify(f) && JSON.stringify(readXml(fromKiosk)) === JSON.stringify(f) && JSON.stringify(decodeWechatXml(fromSim)) === JSON.stringify(f);
      }),
      { numRuns: 300 },
    );
  });

  it('a value containing "]]>" survives (split across CDATA sections)', () => {
    const f = { a: 'x]]>y]]>', b: ']]]]>' };
    expect(decodeWechatXml(encodeWechatXml(f))).toEqual(f);
    expect(readXml(writeXml(f))).toEqual(f);
  });

  it('bytes split anywhere, a multi-byte character cut in half, still decode once joined', () => {
    const buf = Buffer.from(encodeWechatXml({ body: '咖啡 ☕ 12.34', total_fee: '1234' }), 'utf8');
    for (let cut = 1; cut < buf.length; cut += 3) {
      const joined = Buffer.concat([buf.subarray(0, cut), buf.subarray(cut)]);
      expect(decodeWechatXml(joined)).toEqual({ body: '咖啡 ☕ 12.34', total_fee: '1234' });
      // a prefix alone is never a message
      expect(decodeWechatXml(buf.subarray(0, cut))).toBeNull();
    }
  });

  const hostile: Array<[string, string | Buffer]> = [
    ['nested element', '<xml><a><b>1</b></a></xml>'],
    ['DTD with entity', '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "boom">]><xml><a>&x;</a></xml>'],
    ['entity reference', '<xml><a>&x;</a></xml>'],
    ['numeric reference', '<xml><a>&#60;</a></xml>'],
    ['prototype entity name', '<xml><a>&constructor;</a></xml>'],
    ['attribute', '<xml><a id="1">1</a></xml>'],
    ['duplicate field', '<xml><a>1</a><a>2</a></xml>'],
    ['unterminated CDATA', '<xml><a><![CDATA[1</a></xml>'],
    ['mismatched close', '<xml><a>1</b></xml>'],
    ['trailing garbage', '<xml><a>1</a></xml>junk'],
    ['not xml', '{"return_code":"SUCCESS"}'],
    ['empty', ''],
    ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x3c, 0x78, 0x6d, 0x6c, 0x3e, 0x80, 0x81])],
    ['processing instruction inside', '<xml><?php x ?><a>1</a></xml>'],
    ['comment', '<xml><!-- c --><a>1</a></xml>'],
  ];
  it.each(hostile)('hostile input → null, never throws: %s', (_label, input) => {
    expect(decodeWechatXml(input)).toBeNull();
    expect(readXml(input)).toBeNull();
  });

  it('bounds: too many bytes, too many fields, deep nesting → null quickly', () => {
    expect(decodeWechatXml(`<xml><a><![CDATA[${'x'.repeat(300 * 1024)}]]></a></xml>`)).toBeNull();
    expect(readXml(`<xml><a><![CDATA[${'x'.repeat(70 * 1024)}]]></a></xml>`)).toBeNull();
    const many = `<xml>${Array.from({ length: 600 }, (_, i) => `<f${i}>1</f${i}>`).join('')}</xml>`;
    expect(decodeWechatXml(many)).toBeNull();
    expect(readXml(many)).toBeNull();
    expect(decodeWechatXml(`<xml>${'<a>'.repeat(50_000)}</xml>`)).toBeNull();
    expect(readXml(`<xml>${'<a>'.repeat(10_000)}</xml>`)).toBeNull();
  });

  it('property: arbitrary strings and bytes never throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u))), (x) => {
        decodeWechatXml(x);
        readXml(x);
        decodeWechatXml(`<xml><a>${x.toString()}</a></xml>`);
        readXml(`<xml><a>${x.toString()}</a></xml>`);
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
