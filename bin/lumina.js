#!/usr/bin/env node
// `npx lumina` launcher: runs the TypeScript entry in this process, without a build step,
// through tsx 4's CommonJS loader (tsx/cjs/api), which makes require() load .ts files.
'use strict';
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  // The local cloud's Step Functions engine (aws-local-stepfunctions) needs Node 22, like Lambda's nodejs22.x.
  process.stderr.write(`lumina: needs Node.js 22 or newer (this is ${process.versions.node}); run 'npx lumina', which uses the repository's own Node 22\n`);
  process.exit(1);
}
require('tsx/cjs/api').register();
require('./lumina.ts');
