import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '../../../../shared/sdk/integrations');

/** Every static `import '…'`, `import … from '…'`, `export … from '…'` and `import('…')`, type-only or not. */
function importsOf(source: string): Array<{ from: string; typeOnly: boolean }> {
  const staticImports = /^(?:import|export)\s+(type\s+)?(?:[^;']*?\sfrom\s+)?'([^']+)';/gms;
  const dynamicImports = /\bimport\(\s*'([^']+)'\s*\)/g;
  return [
    ...[...source.matchAll(staticImports)].map((m) => ({ from: m[2] ?? '', typeOnly: m[1] !== undefined })),
    ...[...source.matchAll(dynamicImports)].map((m) => ({ from: m[1] ?? '', typeOnly: false })),
  ];
}

describe('the integrations', () => {
  const files = readdirSync(DIR).filter((name) => name.endsWith('.ts'));

  it('are all checked', () => {
    expect(files).toEqual(
      expect.arrayContaining(['anthropic.ts', 'bedrock.ts', 'index.ts', 'langchain.ts', 'openai.ts']),
    );
  });

  it('are checked by a reader that tells runtime imports from type-only ones', () => {
    const sample = [
      "import type { A } from '@langchain/core';",
      "import {\n  b,\n} from 'openai';",
      "import '@anthropic-ai/sdk/shims';",
      "export { c } from './c.js';",
      "const d = await import('@aws-sdk/client-bedrock-runtime');",
    ].join('\n');
    expect(importsOf(sample)).toEqual([
      { from: '@langchain/core', typeOnly: true },
      { from: 'openai', typeOnly: false },
      { from: '@anthropic-ai/sdk/shims', typeOnly: false },
      { from: './c.js', typeOnly: false },
      { from: '@aws-sdk/client-bedrock-runtime', typeOnly: false },
    ]);
  });

  it.each(files)('%s loads nothing but the SDK itself at runtime', (name) => {
    const runtime = importsOf(readFileSync(join(DIR, name), 'utf8')).filter(({ typeOnly }) => !typeOnly);
    for (const { from } of runtime) expect(from).toMatch(/^\.\.?\//);
  });
});
