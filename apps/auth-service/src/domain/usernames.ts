/**
 * Usernames keep the case they were registered with for display, and are
 * unique and looked up by this canonical form. The contract allows only ASCII
 * letters, digits and `_ . -`, so lower-casing is the whole of case folding.
 */
export function canonicalUsername(username: string): string {
  return username.toLowerCase();
}
