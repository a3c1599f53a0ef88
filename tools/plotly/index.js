// plotly.js with only the trace types the dashboard draws: scatter (always part of plotly.js's
// core), scattergl (the light curve, diagnostics) and heatmap (the pixel image). The same
// partial-bundle pattern as plotly.js's own lib/index-*.js files: the core, then register.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/scattergl'),
]);

module.exports = Plotly;
