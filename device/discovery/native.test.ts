import { fixFor, loadNative } from './native';

describe('lazy native module loading', () => {
  it('a module that cannot load is reported with what failed and how to fix it, without throwing', () => {
    const r = loadNative('no-such-native-module-xyz', "require('no-such-native-module-xyz')");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.missing.module).toBe('no-such-native-module-xyz');
      expect(r.missing.error).toMatch(/Cannot find module/);
      expect(r.missing.fix).toMatch(/npm ci/);
    }
  });

  it('a module that loads is returned', () => {
    const r = loadNative<typeof import('sqlite3')>('sqlite3', "require('sqlite3')");
    expect(r.ok).toBe(true);
    if (r.ok) expect(typeof r.value.Database).toBe('function');
  });

  it('names the Debian package for the libraries the hardware modules need', () => {
    expect(fixFor('Error: libusb-1.0.so.0: cannot open shared object file')).toMatch(/apt-get install libusb-1.0-0/);
    expect(fixFor('libudev.so.1: cannot open shared object file')).toMatch(/libudev1/);
  });
});
