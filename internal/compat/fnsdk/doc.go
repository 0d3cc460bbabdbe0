// Command fnsdk is a Lambda function (provided.al2023, aws-lambda-go) that
// uses the AWS SDK for Go v2 the way a function on AWS does: with no
// endpoint or credential code of its own. The compat tests deploy it to
// check that instances' credentials and AWS_ENDPOINT_URL lead its SDK to
// Updraft's services, within the function's permissions.
package main
