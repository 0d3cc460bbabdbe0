// Package wire is what every protocol adapter of the gateway shares on the
// wire: request ids, the error reply (a typed error from the fn catalogue
// mapped to a status, X-Amzn-ErrorType and {"Type","message"}), JSON
// replies, bounded body reads, and Lambda's function name and ARN forms.
package wire
