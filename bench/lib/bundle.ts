/**
 * esbuild bundles of the bench's node processes (gateway, mock upstream, pass-through, micro-benchmarks,
 * soak gateway), so every server runs on plain `node` with no TypeScript loader and none pays for one in
 * CPU or memory. The options are those of scripts/build.mjs (`common`): a benchmarked gateway is built as
 * shipped, and dist/ is not touched.
 */
import { join } from 'node:path';

/** esbuild options of the gateway's node bundles, as in scripts/build.mjs. */
const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  minifySyntax: true,
  // jsonc-parser's "main" is a UMD build esbuild cannot follow (see scripts/build.mjs): its ESM build instead.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
} as const;

/**
 * Bundles each entry into `<outDir>/<name>.js` (with a `.js.map` beside it), in parallel.
 * @param root repository root; entries are relative to it (`src/gateway/cli.ts`).
 * @param entries bundle name -> entry file.
 * @returns bundle name -> path of the bundle.
 * @throws esbuild's error when an entry does not build.
 */
export async function bundleEntries<N extends string>(root: string, outDir: string, entries: Record<N, string>): Promise<Record<N, string>> {
  const { build } = await import('esbuild');
  const out = {} as Record<N, string>;
  await Promise.all(
    (Object.entries(entries) as Array<[N, string]>).map(([name, entry]) => {
      out[name] = join(outDir, `${name}.js`);
      return build({ ...NODE_BUNDLE, entryPoints: [join(root, entry)], outfile: out[name] });
    }),
  );
  return out;
}
