// node:test reporter that emits one JSON object with the counts of leaf tests, and for each
// failure its name, file and the first lines of its error, so the root summary can repeat them
// at the end of a long, interleaved log.
export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const recordFailure = (data) => {
    const error = data.details?.error;
    const cause = error?.cause ?? error;
    const message = String(cause?.message ?? cause ?? 'failed').split('\n').slice(0, 6).join('\n');
    counts.failures.push({ name: data.name, file: data.file ?? null, message });
  };
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    // Suites report too; only leaf tests count. A failing file with no tests still counts as a failure.
    if (data.details?.type === 'suite') {
      if (event.type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
        counts.failed += 1;
        recordFailure(data);
      }
      continue;
    }
    if (data.skip || data.todo) counts.skipped += 1;
    else if (event.type === 'test:pass') counts.passed += 1;
    else {
      counts.failed += 1;
      recordFailure(data);
    }
  }
  yield JSON.stringify(counts) + '\n';
}
