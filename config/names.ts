const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const NAME_MAX_LENGTH = 253;
const LABEL_MAX_LENGTH = 63;

/**
 * What `checkDnsName` accepts, as JSON Schema keywords for `StringOptions.schema`. The pattern
 * bounds each label to 63 characters and `maxLength` the whole name.
 */
export const DNS_NAME_SCHEMA = {
  pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$',
  maxLength: NAME_MAX_LENGTH,
} as const;

/**
 * Checks a lowercase DNS name (RFC 1123 labels joined by dots), the form of Kubernetes object
 * names and of hostnames. Returns a message naming the problem, or undefined when the name is valid.
 */
export function checkDnsName(name: string): string | undefined {
  if (name.length > NAME_MAX_LENGTH) {
    return `"${name}" is ${name.length} characters long; a DNS name has at most ${NAME_MAX_LENGTH}`;
  }
  for (const label of name.split('.')) {
    if (label.length > LABEL_MAX_LENGTH) {
      return `"${name}" has the label "${label}" of ${label.length} characters; labels have at most ${LABEL_MAX_LENGTH}`;
    }
    if (!LABEL.test(label)) {
      return `"${name}" is not a valid DNS name; labels use lowercase letters, digits and "-", and start and end with a letter or digit`;
    }
  }
  return undefined;
}
