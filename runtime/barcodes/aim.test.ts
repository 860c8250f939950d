import { parseAimPrefix } from './aim';

describe('parseAimPrefix', () => {
  test.each([
    [']E0', 'EAN-13/UPC-A/UPC-E', 'ean-upc', false],
    [']E4', 'EAN-8', 'ean-upc', false],
    [']E1', 'EAN/UPC 2-digit add-on', 'ean-upc', false],
    [']E2', 'EAN/UPC 5-digit add-on', 'ean-upc', false],
    [']E3', 'EAN/UPC with add-on', 'ean-upc', false],
    [']C0', 'Code 128', 'code128', false],
    [']C1', 'GS1-128', 'code128', true],
    [']e0', 'GS1 DataBar', 'gs1-databar', true],
    [']Q1', 'QR Code', 'qr', false],
    [']Q3', 'GS1 QR Code', 'qr', true],
    [']d1', 'Data Matrix', 'datamatrix', false],
    [']d2', 'GS1 DataMatrix', 'datamatrix', true],
    [']A0', 'Code 39 (AIM ]A0)', 'code39', false],
    [']I0', 'ITF (Interleaved 2 of 5) (AIM ]I0)', 'itf', false],
    [']I1', 'ITF (Interleaved 2 of 5) (AIM ]I1)', 'itf', false],
  ])('%s → %s', (aim, name, family, gs1) => {
    const id = parseAimPrefix(`${aim}DATA`);
    expect(id).toMatchObject({ aim, code: aim[1], modifier: aim[2], name, family, gs1 });
  });

  test('2D symbologies are flagged', () => {
    expect(parseAimPrefix(']Q1x')?.twoD).toBe(true);
    expect(parseAimPrefix(']d1x')?.twoD).toBe(true);
    expect(parseAimPrefix(']C0x')?.twoD).toBe(false);
  });

  test('code letters are case-sensitive: ]e0 is DataBar, ]E0 is EAN', () => {
    expect(parseAimPrefix(']e0')?.family).toBe('gs1-databar');
    expect(parseAimPrefix(']E0')?.family).toBe('ean-upc');
    expect(parseAimPrefix(']D1')?.family).toBe('other');
  });

  test('an unknown code letter is still an AIM prefix, named as such', () => {
    expect(parseAimPrefix(']X9abc')).toMatchObject({ aim: ']X9', family: 'other', gs1: false, name: 'unrecognised symbology (AIM ]X9)' });
  });

  test('things that are not AIM prefixes', () => {
    for (const s of ['', ']', ']E', 'E0]', ' ]E0', ']00', ']E-', ']é0', '4006381333931']) expect(parseAimPrefix(s)).toBeNull();
  });
});
