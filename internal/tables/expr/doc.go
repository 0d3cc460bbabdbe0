// Package expr is DynamoDB's expression language over tables/attr values:
// condition and filter expressions (comparators = <> < <= > >=, BETWEEN,
// IN, AND, OR, NOT, parentheses, and the functions attribute_exists,
// attribute_not_exists, attribute_type, begins_with, contains and size),
// update expressions (SET with + and -, if_not_exists and list_append;
// REMOVE; ADD; DELETE), projection expressions and key condition
// expressions. Paths nest through maps and lists (a.b[2].c);
// ExpressionAttributeNames (#n) and ExpressionAttributeValues (:v)
// placeholders are resolved at parse time, and DynamoDB's reserved words
// are rejected as bare names.
//
// Parse* turn text into a checked form; Eval, Apply and Match run it
// against items. Nothing here stores or mutates items: Update.Apply
// returns a new item. Every error is a 400 ValidationException
// (fn.Validation) with DynamoDB's message where practical, so the
// DynamoDB adapter passes them through unchanged.
//
// Semantics follow DynamoDB: numbers compare by decimal value (1.0 = 1,
// beyond float64); comparisons with a missing attribute or of mismatched
// types are false, except <>, which is then true; the values a SET
// computes come from the item as it was before the update; a SET to a
// list index past the end appends; overlapping paths in one update or
// projection are rejected.
package expr
