/**
 * `outputs-cli.ts <program dir> <stack>`: captures a stack offline and prints its outputs as JSON,
 * `{ outputs, secretOutputNames }`, for a stack reference to it (graph/stack-reference.ts). Exits 2
 * for a stack its config rules refuse, 3 when the program throws.
 */
import { captureStack, revealSecrets } from "./capture";
import { isRpcSecret } from "./sdk-internals";
import { isInputError } from "./preview";

async function main([programDir, stack]: string[]): Promise<number> {
  try {
    const graph = await captureStack(programDir, stack);
    const secretOutputNames = Object.entries(graph.outputs)
      .filter(([, value]) => isRpcSecret(value))
      .map(([key]) => key);
    process.stdout.write(JSON.stringify({ outputs: revealSecrets(graph.outputs), secretOutputNames }));
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return isInputError(err) ? 2 : 3;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
