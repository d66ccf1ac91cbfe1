/**
 * Writes dist/main.js (what `npm start` runs) as one bundled module, after `tsc` has checked and
 * compiled the sources. Node 20 resolves, reads and links every ES module file on its own, and
 * the gateway's graph is about 700 of them (four copies of @graphql-tools/utils among its
 * dependencies, zod and graphql-scalars in many small files): loading them took about twice the
 * CPU of the rest of start-up. One file loads in a fraction of that, and runs the same code.
 *
 * Left out, and loaded from node_modules when first used: what only some configurations or pages
 * need (GraphiQL's 9 MB page, OpenTelemetry's SDK, ioredis). The embedded demo becomes a chunk of
 * its own, loaded in demo mode only, as main.ts's dynamic import asks.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles the sources as they are now (the start-up tests run what this writes). */
export async function bundle(): Promise<void> {
  await build({
    entryPoints: ['src/main.ts'],
    outdir: 'dist',
    // Replaces tsc's dist/main.js; its other files stay, for tools that import them one by one.
    allowOverwrite: true,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20.18',
    // Names are kept (stack traces and profiles read as before); the source map leads back to the sources.
    sourcemap: true,
    // V8 keeps a script's source for as long as it runs: without comments it is a third smaller, and
    // with the licence comments (which hold non-ASCII letters) in a file beside it, it stays one
    // byte per character instead of two (4 MB held instead of 11).
    minifyWhitespace: true,
    legalComments: 'external',
    external: ['@graphql-yoga/render-graphiql', '@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http', 'ioredis'],
    // CommonJS dependencies call require() for Node's built-in modules; an ES module has none of its own.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
