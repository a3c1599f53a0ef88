// Builds ../../assets/plotly-partial.min.js from index.js with esbuild, using the options of
// plotly.js's own esbuild-config.js (an IIFE defining the global Plotly, regl aliased to
// @plotly/regl, global = window, es2016), minified as its dist bundles are. The Buffer
// polyfill is the npm `buffer` package, as in plotly.js's own build.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const plotly = JSON.parse(readFileSync(path.join(here, 'node_modules/plotly.js/package.json')));
const outfile = path.join(here, '../../assets/plotly-partial.min.js');

await build({
    entryPoints: [path.join(here, 'index.js')],
    outfile,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    alias: { regl: '@plotly/regl' },
    // The only stylesheet plotly.js imports is maplibre's, for map subplots this bundle has
    // none of; Dash would load a .css left in assets/ on every page.
    loader: { '.css': 'empty' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016',
    banner: {
        js: `/* plotly.js v${plotly.version} (MIT, Plotly, Inc.): heatmap, scatter, scattergl ` +
            'only. Built by tools/plotly/build.sh; do not edit. */',
    },
    logLevel: 'info',
});
