/**
 * The guard bundle's AWS credentials: Lambda puts the function role's credentials in the environment
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), so the bundle resolves
 * `@aws-sdk/credential-provider-node` to this module instead of the SDK's whole default chain (SSO, ini
 * files, processes, web identity, instance metadata and the STS/SSO clients they load), which Lambda never
 * reaches and which is a quarter of the bundle. See `lib/guard-bundling.ts`; the CLI keeps the full chain.
 */

/** The shape of the SDK's `AwsCredentialIdentity`. */
export interface EnvironmentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Same export as `@aws-sdk/credential-provider-node`, which each client's runtime config calls. */
export function defaultProvider(): () => Promise<EnvironmentCredentials> {
  return async () => {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error(
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; Lambda sets them from the function role',
      );
    }
    const credentials: EnvironmentCredentials = { accessKeyId, secretAccessKey };
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    if (sessionToken) credentials.sessionToken = sessionToken;
    const expiration = process.env.AWS_CREDENTIAL_EXPIRATION;
    if (expiration) credentials.expiration = new Date(expiration);
    return credentials;
  };
}
