/** Runs `npm start`'s own entry point as a child process, the way a developer does, on free ports. */
import { ChildProcess, spawn } from "child_process";
import * as net from "net";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Node's arguments for one of scripts/ as its npm script runs it: `npm start` also preloads scripts/lazy-repl.js (package.json). */
export function scriptArgs(script: string, args: string[]): string[] {
  const preload = script === "start.ts" ? ["-r", path.join(ROOT, "scripts", "lazy-repl.js")] : [];
  return [...preload, "-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts", script), ...args];
}

export function runScript(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, scriptArgs(script, args), {
    cwd: ROOT,
    env: { ...process.env, ...env, NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script to its end. */
export function runToEnd(script: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const child = runScript(script, args, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c) => (stdout += c));
  child.stderr!.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

export interface StartedCloud {
  child: ChildProcess;
  url: string;
  /** Every line printed so far. */
  lines: string[];
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `npm start`'s entry point and waits for its "ready" line. */
export function startCloud(args: string[], port: number): Promise<StartedCloud> {
  const child = runScript("start.ts", args, { PORT: String(port) });
  const lines: string[] = [];
  let stderr = "";
  let partial = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (c) => (stderr += c));
    child.stdout!.on("data", (chunk: Buffer) => {
      partial += chunk.toString("utf8");
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        const ready = line.match(/^Local cloud ready: (\S+)/);
        if (ready) {
          resolve({
            child,
            url: ready[1],
            lines,
            stderr: () => stderr,
            stop: (signal = "SIGINT") => {
              child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => reject(new Error(`the local cloud exited (${code}) before it was ready:\n${stderr}`)));
  });
}

/** GETs `url` and answers "<status> <body>", the form tests compare a served route's answer in. */
export async function statusAndBody(url: string): Promise<string> {
  const res = await fetch(url);
  return `${res.status} ${await res.text()}`;
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, attempts = 200, everyMs = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}
