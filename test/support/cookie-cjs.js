'use strict';
// `cookie` (v1+) is ESM-only; light-my-request (Fastify's inject) require()s it, which jest's CommonJS runtime
// cannot. jest.config.js maps `cookie` here: Node's own require (Node >= 20.19 loads ESM synchronously) hands back
// the real package, outside jest's module registry.
const { createRequire } = require('node:module');
module.exports = createRequire(require.resolve('light-my-request'))('cookie');
