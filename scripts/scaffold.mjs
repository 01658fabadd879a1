// One-off scaffolding of the workspace projects (kept for adding projects later:
// `node scripts/scaffold.mjs` is idempotent and never overwrites an existing file).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const projects = [
  { dir: 'libs/contracts', name: 'contracts', tags: ['scope:shared', 'type:lib'], deps: { zod: '^4.1.0' } },
  { dir: 'libs/runtime', name: 'runtime', tags: ['scope:shared', 'type:lib'], deps: { pino: '^10.0.0', zod: '^4.1.0' } },
  { dir: 'libs/testing', name: 'testing', tags: ['scope:shared', 'type:testing'], deps: { '@takt/runtime': '*' } },
  { dir: 'libs/features', name: 'features', tags: ['scope:shared', 'type:lib'], deps: {} },
  { dir: 'libs/telemetry-store', name: 'telemetry-store', tags: ['scope:shared', 'type:lib'], deps: { influx: '^5.12.0', '@takt/contracts': '*' } },
  { dir: 'libs/onnx', name: 'onnx', tags: ['scope:shared', 'type:lib'], deps: { 'onnx-proto': '^8.0.1', protobufjs: '^7.5.0' } },
  { dir: 'libs/model-registry', name: 'model-registry', tags: ['scope:shared', 'type:lib'], deps: { '@takt/contracts': '*' } },
  { dir: 'apps/broker', name: 'broker', tags: ['scope:shared', 'type:app'], bin: 'takt-broker', deps: { aedes: '^1.2.0', 'aedes-persistence-redis': '^12.0.0', 'mqemitter-redis': '^7.2.0', ws: '^8.18.0', '@takt/contracts': '*', '@takt/runtime': '*' } },
  { dir: 'apps/edge-agent', name: 'edge-agent', tags: ['scope:edge', 'type:app'], bin: 'takt-edge', deps: { mqtt: '^5.14.0', 'onnxruntime-node': '^1.23.0', '@takt/contracts': '*', '@takt/runtime': '*', '@takt/features': '*', '@takt/model-registry': '*' } },
  { dir: 'apps/ingestor', name: 'ingestor', tags: ['scope:cloud', 'type:app'], bin: 'takt-ingest', deps: { mqtt: '^5.14.0', '@takt/contracts': '*', '@takt/runtime': '*', '@takt/telemetry-store': '*' } },
  { dir: 'apps/cloud-trainer', name: 'cloud-trainer', tags: ['scope:cloud', 'type:app'], bin: 'takt-trainer', deps: { '@tensorflow/tfjs': '^4.22.0', 'onnxruntime-node': '^1.23.0', mqtt: '^5.14.0', express: '^5.1.0', pngjs: '^7.0.0', 'jpeg-js': '^0.4.4', '@takt/contracts': '*', '@takt/runtime': '*', '@takt/features': '*', '@takt/onnx': '*', '@takt/model-registry': '*', '@takt/telemetry-store': '*' } },
  { dir: 'apps/dashboard', name: 'dashboard', tags: ['scope:cloud', 'type:app'], bin: 'takt-dashboard', deps: { express: '^5.1.0', mqtt: '^5.14.0', uplot: '^1.6.32', '@takt/contracts': '*', '@takt/runtime': '*', '@takt/telemetry-store': '*', '@takt/model-registry': '*' } },
  { dir: 'simulators/plant', name: 'plant', tags: ['scope:plant', 'type:app'], bin: 'takt-sim', deps: { mqtt: '^5.14.0', pngjs: '^7.0.0', yaml: '^2.8.0', '@takt/contracts': '*', '@takt/runtime': '*' } },
  { dir: 'test', name: 'e2e', tags: ['scope:e2e', 'type:e2e'], deps: { '@takt/contracts': '*', '@takt/runtime': '*', '@takt/testing': '*' } },
  { dir: 'bench', name: 'bench', tags: ['scope:e2e', 'type:e2e'], deps: { '@takt/contracts': '*', '@takt/runtime': '*', '@takt/testing': '*' } },
];

function write(path, content) {
  if (existsSync(path)) return;
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
}

for (const p of projects) {
  mkdirSync(join(p.dir, 'src'), { recursive: true });
  const pkg = {
    name: `@takt/${p.name}`,
    version: '0.1.0',
    private: true,
    type: 'module',
    exports: {
      '.': { '@takt/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    ...(p.bin ? { bin: { [p.bin]: './dist/main.js' } } : {}),
    nx: { tags: p.tags },
    dependencies: p.deps,
  };
  write(join(p.dir, 'package.json'), pkg);
  write(join(p.dir, 'tsconfig.json'), {
    extends: '../../tsconfig.base.json',
    files: [],
    include: [],
    references: [{ path: './tsconfig.lib.json' }, { path: './tsconfig.spec.json' }],
  });
  write(join(p.dir, 'tsconfig.lib.json'), {
    extends: '../../tsconfig.base.json',
    compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/tsconfig.lib.tsbuildinfo', types: ['node'] },
    include: ['src/**/*.ts'],
    exclude: ['src/**/*.spec.ts', 'src/**/*.test.ts'],
    references: [],
  });
  write(join(p.dir, 'tsconfig.spec.json'), {
    extends: '../../tsconfig.base.json',
    compilerOptions: { outDir: './out-tsc/vitest', types: ['node'] },
    include: ['src/**/*.spec.ts', 'src/**/*.test.ts'],
    references: [{ path: './tsconfig.lib.json' }],
  });
  write(join(p.dir, 'vitest.config.ts'), `import { defineProject } from 'vitest/config';
import { takt } from '../../vitest.shared.js';

export default defineProject(takt('${p.name}'));
`);
}
