/**
 * The pattern of a free-text field (a customer's or a product's name): anything but NUL. PostgreSQL's
 * `text` and `jsonb` cannot hold U+0000, so distributed mode could not store it; SQLite could, but
 * both modes refuse it alike (400 VALIDATION_FAILED) so the contract does not depend on the mode.
 */
export const FREE_TEXT_PATTERN = '^[^\\u0000]*$';
