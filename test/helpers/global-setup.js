// The process tests run the compiled server and CLI exactly as `npm start` does: build once first.
const { execFileSync } = require('node:child_process');
const { resolve } = require('node:path');

module.exports = () => {
  const root = resolve(__dirname, '../..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
};
