import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** A secret the stack either sets in its config or generates once and keeps, encrypted, in its state. */
export interface StackSecretArgs {
  /** The config key (in the project's namespace) that may hold the secret, set with `pulumi config set --secret`. */
  configKey: string;
  /** Whether the stack sets `configKey` to a non-empty value; when it does not, a random value is generated. */
  configured: boolean;
  /** Length of a generated value, in characters (letters and digits). @default 48 */
  length?: number;
  /** Adjusts the generated value's args before it is created. */
  transform?: { password?: (args: random.RandomPasswordArgs) => random.RandomPasswordArgs };
}

export class StackSecret extends pulumi.ComponentResource {
  /** The secret, always marked secret, whichever way it was made. */
  public readonly value: pulumi.Output<string>;
  /** The generator, when the stack does not set the secret itself. */
  public readonly password?: random.RandomPassword;

  constructor(name: string, args: StackSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:config:StackSecret", name, {}, opts);
    if (args.configured) {
      this.value = new pulumi.Config().requireSecret(args.configKey);
    } else {
      // Generated once, then stable: a RandomPassword changes only when it is replaced.
      const passwordArgs: random.RandomPasswordArgs = { length: args.length ?? 48, special: false };
      this.password = new random.RandomPassword(`${name}-value`, args.transform?.password?.(passwordArgs) ?? passwordArgs, {
        parent: this,
      });
      this.value = pulumi.secret(this.password.result);
    }
    this.registerOutputs({});
  }
}
