package tables

import (
	"fmt"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
	"github.com/updraft-dev/updraft/internal/tables/attr"
)

// DynamoDB's error types, the catalogue of this package: every error a
// table operation returns is an *fn.Error of one of these types (or a
// *CheckFailed / *Canceled carrying one), which the protocol adapter
// names as DynamoDB does.
const (
	TypeResourceNotFound     = "ResourceNotFoundException"
	TypeResourceInUse        = "ResourceInUseException"
	TypeConditionalCheck     = "ConditionalCheckFailedException"
	TypeTransactionCanceled  = "TransactionCanceledException"
	TypeTransactionConflict  = "TransactionConflictException"
	TypeIdempotentParameter  = "IdempotentParameterMismatchException"
	TypeValidation           = fn.TypeValidation
	TypeLimitExceeded        = "LimitExceededException"
	TypeInternalServer       = "InternalServerError"
	TypeItemCollectionTooBig = "ItemCollectionSizeLimitExceededException"
)

// validation is DynamoDB's ValidationException (400).
func validation(format string, args ...any) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, TypeValidation, format, args...)
}

// Validation is exported for the adapter: a request DynamoDB would refuse.
func Validation(format string, args ...any) *fn.Error { return validation(format, args...) }

// tableNotFound is the error for a table the tenant does not have.
func tableNotFound(name string) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, TypeResourceNotFound, "Requested resource not found: Table: %s not found", name)
}

// tableInUse is the error for creating a table that exists.
func tableInUse(name string) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, TypeResourceInUse, "Table already exists: %s", name)
}

// itemTooLarge is the error for an item over 400 KB.
func itemTooLarge() *fn.Error {
	return validation("Item size has exceeded the maximum allowed size")
}

// conflict is a write that lost a race with another node's write of the
// same item (the store's expected-sequence check failed).
func conflict(what string) *fn.Error {
	return fn.Errorf(http.StatusBadRequest, TypeTransactionConflict, "Transaction is ongoing for the item: %s was changed by a concurrent write, retry", what)
}

// CheckFailed is a conditional write whose condition was false: a
// ConditionalCheckFailedException that carries the item as it was (for
// ReturnValuesOnConditionCheckFailure=ALL_OLD).
type CheckFailed struct {
	Item attr.Item // nil when the item did not exist
}

func (e *CheckFailed) Error() string { return "The conditional request failed" }

// Unwrap lets fn.AsError see the catalogue entry.
func (e *CheckFailed) Unwrap() error {
	return fn.Errorf(http.StatusBadRequest, TypeConditionalCheck, "The conditional request failed")
}

// Reason is one entry of a cancelled transaction's CancellationReasons.
type Reason struct {
	Code    string    // "None", "ConditionalCheckFailed", "ValidationError", "TransactionConflict"
	Message string    // empty for "None"
	Item    attr.Item // the item, for ReturnValuesOnConditionCheckFailure=ALL_OLD
}

// Canceled is a TransactionCanceledException: one reason per action, in
// the request's order.
type Canceled struct {
	Reasons []Reason
}

func (e *Canceled) Error() string {
	codes := ""
	for i, r := range e.Reasons {
		if i > 0 {
			codes += ", "
		}
		codes += r.Code
	}
	return fmt.Sprintf("Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", codes)
}

// Unwrap lets fn.AsError see the catalogue entry.
func (e *Canceled) Unwrap() error {
	return fn.Errorf(http.StatusBadRequest, TypeTransactionCanceled, "%s", e.Error())
}
