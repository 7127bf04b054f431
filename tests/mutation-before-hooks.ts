// Loaded only by .mocharc.mutation.json (Stryker's mocha runs).
//
// Stryker's mocha runner records per-test coverage by setting `__stryker__.currentTestId` in a root
// `beforeEach` and never clearing it (@stryker-mutator/mocha-runner, mocha-test-runner.js `dryRun`). Code
// that runs in a suite's `before` hook (a component test's graph capture, an ops test's stand-in server)
// is therefore credited to whichever test ran last in the previous file. A mutant in that code is then run
// against that one unrelated test alone, mocha skips the suite whose hook would have executed it, and the
// mutant "survives" although the suite's own tests kill it.
//
// This wraps every `before` hook so that what it covers is credited to every test of its suite (nested
// suites included): the mutant run then selects those tests, the hook runs again with the mutant active,
// and the suite's assertions judge it. Outside Stryker (no `__stryker__` global) the hook runs as is.
//
// The tests' remembered captures (tests/harness.ts `remembered`) outlive a run, since Stryker loads the
// test files once per process: they are forgotten before each run, so a mutant's run captures with the
// mutant active, and the coverage of making one is credited again to each suite that reads it later.
import Mocha from "mocha";
import { remembered } from "./harness";

interface StrykerContext {
  currentTestId?: string;
  mutantCoverage?: { static: Hits; perTest: Record<string, Hits> };
}

type Hook = (this: Mocha.Context, done?: Mocha.Done) => unknown;
type Hits = Record<string, number>;

const stryker = () => (globalThis as { __stryker__?: StrykerContext }).__stryker__;

/** Adds `hits` to what the test `testId` is recorded to cover. */
function credit(perTest: Record<string, Hits>, testId: string, hits: Hits): void {
  const covered = (perTest[testId] ??= {});
  for (const [mutant, count] of Object.entries(hits)) covered[mutant] = (covered[mutant] ?? 0) + count;
}

function runHook(fn: Hook, context: Mocha.Context): Promise<unknown> {
  if (fn.length === 0) return Promise.resolve(fn.call(context));
  return new Promise((resolve, reject) => {
    fn.call(context, (error?: unknown) => (error ? reject(error) : resolve(undefined)));
  });
}

const beforeAll = Mocha.Suite.prototype.beforeAll;
Mocha.Suite.prototype.beforeAll = function (this: Mocha.Suite, title: string | Hook, fn?: Hook) {
  const hook = (typeof title === "function" ? title : fn) as Hook;
  const name = typeof title === "string" ? title : hook.name;
  return beforeAll.call(this, name, creditingSuite(this, hook) as unknown as Mocha.AsyncFunc);
} as typeof Mocha.Suite.prototype.beforeAll;

/** The hook, run with its coverage credited to every test of `suite` when Stryker is measuring. */
function creditingSuite(suite: Mocha.Suite, hook: Hook) {
  return async function (this: Mocha.Context) {
    const context = stryker();
    if (!context) return runHook(hook, this);
    const sentinel = `\u0000before-hook ${suite.fullTitle()}`;
    const previous = context.currentTestId;
    context.currentTestId = sentinel;
    try {
      return await runHook(hook, this);
    } finally {
      // Credits for remembered captures the hook read land a turn later (see `reused` below).
      await new Promise((resolve) => setImmediate(resolve));
      context.currentTestId = previous;
      const perTest = context.mutantCoverage?.perTest;
      const hits = perTest?.[sentinel];
      if (perTest && hits) {
        delete perTest[sentinel];
        suite.eachTest((test) => credit(perTest, test.fullTitle(), hits));
      }
    }
  };
}

/** What making each remembered value covered: the context's coverage when it settled, less what it had before. */
const madeHits = new Map<string, Promise<Hits>>();

remembered.observer = {
  make(key, make) {
    const context = stryker();
    const testId = context?.currentTestId;
    const coverage = () => (testId ? context?.mutantCoverage?.perTest[testId] : undefined) ?? {};
    const before = { ...coverage() };
    const made = make();
    if (context) {
      const settled = made.then(
        () => undefined,
        () => undefined,
      );
      madeHits.set(
        key,
        settled.then(() => Object.fromEntries(Object.entries(coverage()).filter(([mutant, count]) => count > (before[mutant] ?? 0)))),
      );
    }
    return made;
  },
  reused(key) {
    const context = stryker();
    const testId = context?.currentTestId;
    void madeHits.get(key)?.then((hits) => {
      const perTest = context?.mutantCoverage?.perTest;
      if (perTest && testId) credit(perTest, testId, hits);
    });
  },
};

export const mochaHooks = {
  beforeAll(): void {
    remembered.values.clear();
    madeHits.clear();
  },
};
