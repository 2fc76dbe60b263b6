// Prints the raw and brotli sizes of the web UI's wasm and JS in dist/ (or the directory given), the
// figures the bundle goal is measured in: `node tools/ui-size.mjs [dist]`. Brotli at quality 11 with
// a 16 MiB window, as `brotli -q 11` does; Node's zlib links the same Google brotli library.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";

const dir = process.argv[2] ?? "dist";
const files = readdirSync(dir).filter((name) => /\.(wasm|js)$/.test(name)).sort();
if (files.length === 0) {
  console.error(`no .wasm or .js in ${dir}: build the UI first (cargo xtask build-ui)`);
  process.exit(1);
}
for (const name of files) {
  const raw = readFileSync(join(dir, name));
  const brotli = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  }).length;
  const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
  console.log(`${name}  raw ${raw.length} B (${kb(raw.length)})  brotli ${brotli} B (${kb(brotli)})`);
}
