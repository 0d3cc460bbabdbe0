// Package attr is DynamoDB's attribute value model: the Value type with all
// ten types (S, N, B, BOOL, NULL, M, L, SS, NS, BS), its DynamoDB JSON
// encoding ({"S": "x"}), number semantics (arbitrary-precision decimals, not
// float64), validation with DynamoDB's messages, comparison and
// arithmetic, item size accounting, the order-preserving key encoding the
// table store sorts by (KeyBytes) and an order-preserving encoding of
// bytes as one NATS subject token (SafeToken). Both the expression language
// (tables/expr) and the store (tables) speak it.
package attr
