// Package dynamodb serves DynamoDB's JSON 1.0 protocol (X-Amz-Target
// DynamoDB_20120810.*) on the one endpoint: a thin adapter that decodes a
// request, authorizes it (dynamodb:ACTION on the table's ARN), calls
// internal/tables with the expressions of internal/tables/expr, and
// encodes the reply or the error as DynamoDB does
// ({"__type": "com.amazonaws.dynamodb.v20120810#CODE", "message": ...}).
package dynamodb
