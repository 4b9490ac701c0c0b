// reporter.mjs: a node:test reporter for tests/run.py: one JSON object a
// line, {"type":"pass"|"fail"|"skip","name","file","duration","error"?}
// for each test (suites are left out), and {"type":"diag","message"} for
// what a test says with t.diagnostic() (the figures it measured).
const SUMMARY = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;

function errorText(err) {
  if (!err) return undefined;
  const e = err.cause || err;
  return String((e && (e.stack || e.message)) || e);
}

export default async function* reporter(source) {
  for await (const ev of source) {
    const d = ev.data || {};
    if (ev.type === 'test:pass' || ev.type === 'test:fail') {
      if (d.details && d.details.type === 'suite') continue;
      const type = ev.type === 'test:fail' ? 'fail' : d.skip || d.todo ? 'skip' : 'pass';
      yield `${JSON.stringify({
        type, name: d.name, file: d.file, duration: d.details && d.details.duration_ms,
        error: type === 'fail' ? errorText(d.details && d.details.error) : undefined,
        skip: typeof d.skip === 'string' ? d.skip : undefined,
      })}\n`;
    } else if (ev.type === 'test:diagnostic' && !(d.nesting === 0 && SUMMARY.test(d.message))) {
      yield `${JSON.stringify({ type: 'diag', message: d.message, file: d.file })}\n`;
    } else if (ev.type === 'test:stderr' || ev.type === 'test:stdout') {
      yield `${JSON.stringify({ type: 'out', message: d.message, file: d.file })}\n`;
    }
  }
}
