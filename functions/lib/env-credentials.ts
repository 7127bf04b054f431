/**
 * Stands in for `@aws-sdk/credential-provider-node` in function bundles (components/bundle.ts): Lambda
 * gives a function its role's credentials in environment variables, which the default chain reads
 * first anyway. Its other providers (SSO, profiles, STS, web identity) are dead weight: about 60 KB
 * per bundle and their load time at init.
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
export const credentialsWillNeedRefresh = (): boolean => false;
export const credentialsTreatedAsExpired = (): boolean => false;
