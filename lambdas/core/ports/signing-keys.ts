/** Per-tenant signing secrets: the first signs, all verify. */
export interface SigningKeys {
  secretsFor(tenant: string): string[];
}
