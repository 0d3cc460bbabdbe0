package event

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestS3ExampleRoundTrip(t *testing.T) {
	var ev S3Event
	dec := json.NewDecoder(bytes.NewReader(readFile(t, "aws-s3-event.json")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "aws-s3-event.json", ev)
}

func TestNewS3RecordMatchesAWSExample(t *testing.T) {
	ev := S3Event{Records: []S3EventRecord{NewS3Record(S3RecordInput{
		Region: "us-east-1", Time: time.UnixMilli(1567539447192), EventName: "ObjectCreated:Put",
		PrincipalID: "AWS:AIDAINPONIXQXHT3IKHL2", OwnerID: "A3I5XTEXAMAI3E", SourceIP: "205.255.255.255",
		RequestID: "D82B88E5F771F645", ConfigurationID: "828aa6fc-f7b5-4305-8584-487c791949c1",
		Bucket: "DOC-EXAMPLE-BUCKET", Key: "b21b84d653bb07b05b1e6b33684dc11b", Size: 1305107,
		ETag: "b21b84d653bb07b05b1e6b33684dc11b", Sequencer: "0C0F6F405D6ED209E1",
	})}}
	// AWS's example was edited by hand: its bucket ARN names another
	// bucket and its x-amz-id-2 is not the request id; take those two.
	ev.Records[0].S3.Bucket.ARN = "arn:aws:s3:::lambda-artifacts-deafc19498e3f2df"
	ev.Records[0].ResponseElements["x-amz-id-2"] = "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="
	sameJSON(t, "aws-s3-event.json", ev)
}

func TestS3Golden(t *testing.T) {
	golden(t, "s3-removed-escaped-key", S3Event{Records: []S3EventRecord{NewS3Record(S3RecordInput{
		Region: "local", Time: time.UnixMilli(1700000000123), EventName: "ObjectRemoved:Delete",
		PrincipalID: "AWS:000000000001", OwnerID: "000000000001", SourceIP: "127.0.0.1", RequestID: "r1",
		ConfigurationID: "on-delete", Bucket: "photos", Key: "a dir/ünï+code?.jpg", Size: 99, ETag: "x", Sequencer: "0000000000000001",
	})}})
	golden(t, "s3-created-empty", S3Event{Records: []S3EventRecord{NewS3Record(S3RecordInput{
		Region: "local", Time: time.UnixMilli(1700000000123), EventName: "ObjectCreated:CompleteMultipartUpload",
		PrincipalID: "AWS:000000000001", OwnerID: "000000000001", SourceIP: "127.0.0.1", RequestID: "r2",
		ConfigurationID: "all", Bucket: "photos", Key: "empty", Size: 0, ETag: "d41d8cd98f00b204e9800998ecf8427e-1", Sequencer: "0000000000000002",
	})}})
}
