// Builds ../../assets/plotly-partial.min.js from index.js with esbuild, using the options of
// plotly.js's own esbuild-config.js (an IIFE defining the global Plotly, regl aliased to
// @plotly/regl, global = window, es2016), minified as its dist bundles are. The Buffer
// polyfill is the npm `buffer` package, as in plotly.js's own build.
//
// One change to plotly.js's source, applied here as the files are read (PATCHES; the build
// fails if the pinned source no longer reads as expected): WebGL's selection layer is created
// when a selection first needs it. plotly.js creates two WebGL contexts per graph with WebGL
// traces (the points, and a "focus" layer that draws selected points), each ~80 ms of the
// first view in headless Chromium's software GL; only scattergl's select mode draws on the
// second (src/traces/scattergl/plot.js), and the light curve never selects.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const plotly = JSON.parse(readFileSync(path.join(here, 'node_modules/plotly.js/package.json')));
const outfile = path.join(here, '../../assets/plotly-partial.min.js');

const PATCHES = {
    'src/lib/prepare_regl.js': [
        ['module.exports = function prepareRegl(gd, extensions, reglPrecompiled) {',
         'module.exports = function prepareRegl(gd, extensions, reglPrecompiled, withFocus) {'],
        ['        // only parcoords needs pick layer\n',
         '        // only parcoords needs pick layer\n' +
         '        // tpf-dashboard: the focus layer only once a selection draws on it\n' +
         "        if(d.key === 'focusLayer' && !withFocus && !fullLayout._has('parcoords')) return;\n"],
    ],
    'src/traces/scattergl/plot.js': [
        ['        if(!scene.select2d) {\n',
         '        if(!scene.select2d) {\n' +
         "            prepareRegl(gd, ['ANGLE_instanced_arrays', 'OES_element_index_uint'], " +
         'reglPrecompiled, true);\n'],
    ],
};

const applied = new Set();
const patchPlotly = {
    name: 'patch-plotly',
    setup(b) {
        b.onLoad({ filter: /plotly\.js[\\/]src[\\/].*\.js$/ }, (args) => {
            const name = path.relative(path.join(here, 'node_modules/plotly.js'), args.path)
                .split(path.sep).join('/');
            if (!PATCHES[name]) return undefined;
            let text = readFileSync(args.path, 'utf8');
            for (const [from, to] of PATCHES[name]) {
                if (text.split(from).length !== 2) {
                    throw new Error(`${name}: expected exactly one ${JSON.stringify(from)}`);
                }
                text = text.replace(from, to);
            }
            applied.add(name);
            return { contents: text, loader: 'js' };
        });
    },
};

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
            'only, WebGL selection layer made on demand. Built by tools/plotly/build.sh; do not ' +
            'edit. */',
    },
    plugins: [patchPlotly],
    logLevel: 'info',
});
const missing = Object.keys(PATCHES).filter((name) => !applied.has(name));
if (missing.length) throw new Error(`patches not applied: ${missing.join(', ')}`);
