// The text and unit helpers moved to src/text/format.ts (a leaf: every analysis folder uses them,
// and report uses every analysis folder). This re-export keeps renderers written against the old
// path working; new code imports ../text/format.js.
export * from '../text/format.js';
