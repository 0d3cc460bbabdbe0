// Command reporter is an aws-lambda-go function that tells a test server
// what it runs: for each event (or each record of an SQS event) it POSTs
// "start ID" to $REPORT_URL, sleeps the event's "ms", then POSTs "done ID".
// For an S3 event record the ID is the object's key; for a DynamoDB stream
// record, the string value of the item's key attribute "id".
// A crash test counts what ran from the server's side, so nothing the
// platform loses (logs included) can hide a lost event.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type job struct {
	ID string `json:"id"`
	Ms int    `json:"ms"`
}

type event struct {
	job
	Records []struct {
		Body string `json:"body"`
		S3   *struct {
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
		DynamoDB *struct {
			Keys map[string]map[string]string `json:"Keys"`
		} `json:"dynamodb"`
	} `json:"Records"`
}

var client = &http.Client{Timeout: 10 * time.Second}

func report(what, id string) error {
	resp, err := client.Post(os.Getenv("REPORT_URL"), "text/plain", strings.NewReader(what+" "+id))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("report %s %s: %s", what, id, resp.Status)
	}
	return nil
}

func run(j job) error {
	if err := report("start", j.ID); err != nil {
		return err
	}
	time.Sleep(time.Duration(j.Ms) * time.Millisecond)
	return report("done", j.ID)
}

func handle(ctx context.Context, ev event) (string, error) {
	if len(ev.Records) == 0 {
		return "ok", run(ev.job)
	}
	for _, r := range ev.Records {
		var j job
		switch {
		case r.S3 != nil:
			j.ID = r.S3.Object.Key
		case r.DynamoDB != nil:
			j.ID = r.DynamoDB.Keys["id"]["S"]
		default:
			if err := json.Unmarshal([]byte(r.Body), &j); err != nil {
				return "", err
			}
		}
		if err := run(j); err != nil {
			return "", err
		}
	}
	return "ok", nil
}

func main() { lambda.Start(handle) }
