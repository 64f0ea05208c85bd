/**
 * What to do about a finding, in the order to do it. The steps follow the
 * platform's own key documentation: revoking is Delete under team settings →
 * API Keys and takes effect at once; rotating is create, deploy, confirm, delete;
 * keys belong in environment variables or a secrets manager, one per environment,
 * with the fewest scopes that work.
 */

export interface RemediationFacts {
  kind: string;
  /** The last four characters of the key, to find it in the dashboard's list. */
  last4: string;
  environment: string | null;
  /** A custom rule's own steps, used as they are. */
  custom?: string[];
}

export function remediation(f: RemediationFacts): string[] {
  if (f.custom && f.custom.length > 0) return f.custom;
  const which = f.last4 ? `the key ending in ${f.last4}` : 'the key';
  const env = f.environment ? ` for ${f.environment}` : '';
  switch (f.kind) {
    case 'live':
      return [
        `Revoke it now: in the dashboard, open team settings → API Keys, find ${which} and click Delete. Deleted keys stop working at once.`,
        `Create a replacement key${env} with only the scopes its service needs (for example bots:read rather than admin).`,
        'Deploy the new key through an environment variable (such as CHATBOT_API_KEY) or a secrets manager, never in source code, and confirm each service works with it.',
        'Remove the old key from this file and from every copy of it; anyone who saw it could use it until it was deleted.',
      ];
    case 'test':
      return [
        `Lower priority, as sandbox keys do not touch production data, but still rotate it: under team settings → API Keys, delete ${which} and create a new one.`,
        'Read the new key from an environment variable instead of writing it in the file.',
      ];
    case 'webhook':
      return [
        'Treat the signing secret as known: whoever has it can forge webhook requests that pass the X-Chatbot-Signature check.',
        'Set a new secret where the webhook is configured and in the service that verifies the signatures.',
        'Load it from an environment variable (such as WEBHOOK_SECRET) or a secrets manager, and delete the literal from this file.',
      ];
    default:
      return [
        'Treat this secret as exposed: revoke or rotate it with whoever issued it.',
        'Load the replacement from an environment variable or a secrets manager, and delete the literal from this file.',
      ];
  }
}

/** One line for the text report. */
export function advice(kind: string): string {
  switch (kind) {
    case 'live':
      return 'Revoke now (team settings → API Keys → Delete), then load a new key from an env var.';
    case 'test':
      return 'Sandbox key: rotate it and read it from an env var.';
    case 'webhook':
      return 'Replace the signing secret and load it from an env var.';
    default:
      return 'Rotate it and load it from an env var or secrets manager.';
  }
}
