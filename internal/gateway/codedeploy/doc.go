// Package codedeploy serves the one CodeDeploy operation a SAM
// application's traffic hooks call, PutLifecycleEventHookExecutionStatus,
// in CodeDeploy's JSON 1.1 protocol (X-Amz-Target
// CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus, signing name
// "codedeploy") on the one AWS endpoint. A pre- or post-traffic hook
// function is invoked with {"DeploymentId", "LifecycleEventHookExecutionId"}
// and reports Succeeded or Failed with it, as on AWS; the adapter
// authorizes the call (codedeploy:PutLifecycleEventHookExecutionStatus on
// the deployment group's ARN) and records the status in the
// stack.HookStatuses the canary driver waits on.
//
// Reporting is optional on Updraft: a hook that returns without reporting
// is judged by its invocation (a function error fails it), so hooks
// written for AWS work unchanged and simpler ones need no SDK call. The
// statuses live in memory on the node running the deployment, keyed by
// execution id; another tenant's execution id is
// DeploymentDoesNotExistException, as an unknown one is.
package codedeploy
