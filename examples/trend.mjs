// beamscope/trend: a series of snapshots ordered by time, and its findings.
// node examples/trend.mjs fixtures/trend/series/snap-01.snapshot fixtures/trend/series/snap-20.snapshot
import { loadInput } from 'beamscope/check';
import { trendReport } from 'beamscope/trend';

const paths =
  process.argv.length > 2
    ? process.argv.slice(2)
    : ['fixtures/trend/series/snap-01.snapshot', 'fixtures/trend/series/snap-20.snapshot'];
const report = trendReport(await Promise.all(paths.map((p) => loadInput(p))));
console.log(report.snapshots.length, 'snapshots;', report.findings.length, 'findings');
