/** What other workspaces (the benchmark) use to run the UI against a seeded audit service in headless Chromium. */
export { startAudit, UI_DIST, type AuditUnderTest } from './harness.js';
export { CHROMIUM_PATH, launchBrowser, signIn, type TestBrowser } from './browser.js';
export { generatedFleet, showcaseFleet, SHOWCASE_RELEASE, smallFleet } from './seed.js';
