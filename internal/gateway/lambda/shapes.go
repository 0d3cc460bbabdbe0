package lambda

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/updraft-dev/updraft/internal/fn"
)

// lambdaTime is Lambda's LastModified format.
const lambdaTime = "2006-01-02T15:04:05.000-0700"

// functionConfiguration is Lambda's FunctionConfiguration JSON.
type functionConfiguration struct {
	FunctionName     string            `json:"FunctionName"`
	FunctionArn      string            `json:"FunctionArn"`
	Runtime          string            `json:"Runtime"`
	Role             string            `json:"Role"`
	Handler          string            `json:"Handler,omitempty"`
	CodeSize         int64             `json:"CodeSize"`
	CodeSha256       string            `json:"CodeSha256"`
	Description      string            `json:"Description"`
	MemorySize       int               `json:"MemorySize"`
	Timeout          int               `json:"Timeout"`
	LastModified     string            `json:"LastModified"`
	Version          string            `json:"Version"`
	Environment      *environment      `json:"Environment,omitempty"`
	RevisionId       string            `json:"RevisionId"`
	State            string            `json:"State"`
	LastUpdateStatus string            `json:"LastUpdateStatus"`
	PackageType      string            `json:"PackageType"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage ephemeralStorage  `json:"EphemeralStorage"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig,omitempty"`
	LoggingConfig    loggingConfig     `json:"LoggingConfig"`
}

// loggingConfig is Lambda's LoggingConfig; Updraft keeps LogFormat and
// reports the log group Lambda would use.
type loggingConfig struct {
	LogFormat string `json:"LogFormat"`
	LogGroup  string `json:"LogGroup,omitempty"`
}

// deadLetterConfig is Lambda's DeadLetterConfig.
type deadLetterConfig struct {
	TargetArn string `json:"TargetArn"`
}

type environment struct {
	Variables map[string]string `json:"Variables"`
}

type ephemeralStorage struct {
	Size int `json:"Size"`
}

// lambdaConfig renders f the way Lambda reports a function's $LATEST.
func lambdaConfig(f *fn.Function) functionConfiguration {
	rt := f.LambdaRuntime()
	eph := f.EphemeralStorageMB
	if eph == 0 {
		eph = fn.DefaultEphemeralMB
	}
	c := functionConfiguration{
		FunctionName: f.Name, FunctionArn: f.ARN(), Runtime: rt, Role: f.Role,
		Handler: f.Handler, CodeSize: f.CodeSize, CodeSha256: codeSHA256Base64(f.CodeSHA256),
		Description: f.Description, MemorySize: f.MemoryMB, Timeout: f.TimeoutSec,
		LastModified: f.UpdatedAt.UTC().Format(lambdaTime), Version: fn.LatestVersion,
		RevisionId: revisionID(f), State: "Active", LastUpdateStatus: "Successful",
		PackageType: "Zip", Architectures: []string{"x86_64"},
		EphemeralStorage: ephemeralStorage{Size: eph},
	}
	if len(f.Env) > 0 {
		c.Environment = &environment{Variables: f.Env}
	}
	if f.DeadLetterARN != "" {
		c.DeadLetterConfig = &deadLetterConfig{TargetArn: f.DeadLetterARN}
	}
	c.LoggingConfig = loggingConfig{LogFormat: fn.LogFormatText, LogGroup: "/aws/lambda/" + f.Name}
	if f.LogFormat != "" {
		c.LoggingConfig.LogFormat = f.LogFormat
	}
	if f.Version != "" {
		c.Version = f.Version
		c.FunctionArn = fn.ARN(f.Tenant, f.Name, f.Version)
	}
	return c
}

// codeSHA256Base64 turns the stored hex digest into Lambda's base64 form.
func codeSHA256Base64(hexSum string) string {
	b, err := hex.DecodeString(hexSum)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// revisionID is a UUID-shaped id that changes with every change of f.
func revisionID(f *fn.Function) string {
	s := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%s/%d/%d/%d", f.Tenant, f.Name, f.Version, f.Revision, f.LastVersion, f.UpdatedAt.UnixNano()))
	h := hex.EncodeToString(s[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// functionCodeRequest is FunctionCode in CreateFunction and the body of
// UpdateFunctionCode (which has the same fields at the top level).
type functionCodeRequest struct {
	ZipFile         []byte  `json:"ZipFile"` // base64 in JSON
	S3Bucket        *string `json:"S3Bucket"`
	S3Key           *string `json:"S3Key"`
	S3ObjectVersion *string `json:"S3ObjectVersion"`
	ImageUri        *string `json:"ImageUri"`
}

// zip returns the zip of c or says why there is none.
func (c *functionCodeRequest) zip() ([]byte, error) {
	if c.S3Bucket != nil || c.S3Key != nil || c.S3ObjectVersion != nil {
		return nil, fn.InvalidParameter("code from S3 is not supported: send the zip inline as ZipFile")
	}
	if c.ImageUri != nil {
		return nil, fn.InvalidParameter("container images are not supported: send a zip as ZipFile (PackageType Zip)")
	}
	if len(c.ZipFile) == 0 {
		return nil, fn.InvalidParameter("no code: send the function's zip as ZipFile (base64)")
	}
	return c.ZipFile, nil
}

// createFunctionRequest is CreateFunction's body.
type createFunctionRequest struct {
	FunctionName     string              `json:"FunctionName"`
	Runtime          string              `json:"Runtime"`
	Role             string              `json:"Role"`
	Handler          string              `json:"Handler"`
	Description      string              `json:"Description"`
	MemorySize       int                 `json:"MemorySize"`
	Timeout          int                 `json:"Timeout"`
	Environment      *environment        `json:"Environment"`
	EphemeralStorage *ephemeralStorage   `json:"EphemeralStorage"`
	Tags             map[string]string   `json:"Tags"`
	PackageType      string              `json:"PackageType"`
	Publish          bool                `json:"Publish"`
	Architectures    []string            `json:"Architectures"`
	Code             functionCodeRequest `json:"Code"`
	DeadLetterConfig *deadLetterConfig   `json:"DeadLetterConfig"`
	LoggingConfig    *loggingConfig      `json:"LoggingConfig"`
}

// updateConfigurationRequest is UpdateFunctionConfiguration's body; nil
// fields are not changed.
type updateConfigurationRequest struct {
	Runtime          *string           `json:"Runtime"`
	Role             *string           `json:"Role"`
	Handler          *string           `json:"Handler"`
	Description      *string           `json:"Description"`
	MemorySize       *int              `json:"MemorySize"`
	Timeout          *int              `json:"Timeout"`
	Environment      *environment      `json:"Environment"`
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
	RevisionId       *string           `json:"RevisionId"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig"`
	LoggingConfig    *loggingConfig    `json:"LoggingConfig"`
}

// checkArchitectures accepts what Updraft runs: the machine's own, which
// Lambda calls x86_64.
func checkArchitectures(as []string) error {
	for _, a := range as {
		if a != "x86_64" {
			return fn.InvalidParameter("architecture %q is not supported: use x86_64", a)
		}
	}
	return nil
}

var errNoBody = fn.Errorf(http.StatusBadRequest, fn.TypeInvalidRequestContent, "the request body is empty: send the operation's JSON")
