/**
 * tests/mutation-before-hooks.ts, which keeps the mutation score honest, run as Stryker would run it: an
 * inner mocha run with a `__stryker__` context whose coverage is recorded by the current test id.
 */
import { expect } from "chai";
import Mocha from "mocha";
import { mochaHooks } from "./mutation-before-hooks";
import { remembered } from "./harness";

interface Context {
  currentTestId?: string;
  mutantCoverage: { static: Record<string, number>; perTest: Record<string, Record<string, number>> };
}

/** What Stryker's instrumented code does when mutant `id`'s code runs. */
function cover(id: string): void {
  const context = (globalThis as { __stryker__?: Context }).__stryker__;
  if (!context) return;
  const bucket = context.currentTestId ? (context.mutantCoverage.perTest[context.currentTestId] ??= {}) : context.mutantCoverage.static;
  bucket[id] = (bucket[id] ?? 0) + 1;
}

/** Runs `build`'s suites as Stryker's dry run does (a root beforeEach setting the test id) and returns the coverage. */
async function dryRun(build: (root: Mocha.Suite) => void): Promise<Context["mutantCoverage"]> {
  const context: Context = { mutantCoverage: { static: {}, perTest: {} } };
  const mocha = new Mocha({ reporter: function () {} as unknown as string });
  mocha.suite.beforeEach(function () {
    context.currentTestId = this.currentTest?.fullTitle();
  });
  build(mocha.suite);
  (globalThis as { __stryker__?: Context }).__stryker__ = context;
  try {
    await new Promise<void>((resolve) => mocha.run(() => resolve()));
  } finally {
    delete (globalThis as { __stryker__?: Context }).__stryker__;
  }
  return context.mutantCoverage;
}

const test = (title: string, fn: () => void) => new Mocha.Test(title, fn);

describe("mutation runs: what a before hook covers", () => {
  it("is credited to every test of the hook's suite, nested ones too, and to no test of another suite", async () => {
    const coverage = await dryRun((root) => {
      const first = Mocha.Suite.create(root, "first");
      first.addTest(test("runs", () => cover("1")));
      const captured = Mocha.Suite.create(root, "captured");
      captured.beforeAll(async () => cover("2"));
      captured.addTest(test("reads", () => undefined));
      Mocha.Suite.create(captured, "nested").addTest(test("reads too", () => undefined));
    });
    expect(coverage.perTest["first runs"]).to.deep.equal({ "1": 1 });
    expect(coverage.perTest["captured reads"]).to.deep.equal({ "2": 1 });
    expect(coverage.perTest["captured nested reads too"]).to.deep.equal({ "2": 1 });
    // No stand-in id is left for Stryker to look for.
    expect(Object.keys(coverage.perTest).sort()).to.deep.equal(["captured nested reads too", "captured reads", "first runs"]);
  });

  it("waits for a hook that takes a callback", async () => {
    const coverage = await dryRun((root) => {
      const suite = Mocha.Suite.create(root, "callback");
      suite.beforeAll(function (done: Mocha.Done) {
        setImmediate(() => {
          cover("3");
          done();
        });
      } as Mocha.Func);
      suite.addTest(test("reads", () => undefined));
    });
    expect(coverage.perTest["callback reads"]).to.deep.equal({ "3": 1 });
  });

  it("credits a remembered capture to each suite that reads it, and forgets it before the next run", async () => {
    let made = 0;
    const read = () =>
      remembered.get("mutation-hooks test", async () => {
        made++;
        cover("4");
        return "graph";
      });
    const coverage = await dryRun((root) => {
      for (const name of ["maker", "reader"]) {
        const suite = Mocha.Suite.create(root, name);
        suite.beforeAll(async () => void (await read()));
        suite.addTest(test("reads", () => undefined));
      }
    });
    expect(made).to.equal(1);
    expect(coverage.perTest["maker reads"]).to.deep.equal({ "4": 1 });
    expect(coverage.perTest["reader reads"]).to.deep.equal({ "4": 1 });
    mochaHooks.beforeAll();
    await read();
    expect(made).to.equal(2);
    remembered.values.delete("mutation-hooks test");
  });

  it("leaves a hook as it is outside Stryker", async () => {
    let ran = 0;
    const mocha = new Mocha({ reporter: function () {} as unknown as string });
    const suite = Mocha.Suite.create(mocha.suite, "plain");
    suite.beforeAll(() => void ran++);
    suite.addTest(test("reads", () => expect(ran).to.equal(1)));
    const failures = await new Promise<number>((resolve) => mocha.run(resolve));
    expect(failures).to.equal(0);
    expect(ran).to.equal(1);
  });
});
