package compat

import (
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/updraft-dev/updraft/internal/apiclient"
	"github.com/updraft-dev/updraft/internal/config"
	"github.com/updraft-dev/updraft/internal/daemon"
	"github.com/updraft-dev/updraft/internal/fn"
)

// startAt runs a daemon on dir; key nil creates one (a first start).
func startAt(t *testing.T, dir string, key *apiclient.Key) (*platform, func()) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Listen = "127.0.0.1:0"
	d, err := daemon.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("close daemon: %v", err)
		}
	}
	endpoint := "http://" + d.Addr()
	if key == nil {
		admin, err := os.ReadFile(d.AdminKeyPath())
		if err != nil {
			t.Fatal(err)
		}
		if key, err = apiclient.New(endpoint, strings.TrimSpace(string(admin))).CreateKey(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	return &platform{endpoint: endpoint, key: key, daemon: d}, stop
}

type s3Logged struct {
	EventName string `json:"eventName"`
	Key       string `json:"key"`
	Size      int64  `json:"size"`
	Config    string `json:"config"`
}

// s3Sink is a function printing each S3 record it gets.
func s3Sink(t *testing.T) []byte {
	return zipOf(t, map[string]string{"app.py": `import json
def handler(event, context):
    for r in event["Records"]:
        assert r["eventSource"] == "aws:s3" and r["eventVersion"] == "2.1"
        o = r["s3"]["object"]
        print("S3-EVENT " + json.dumps({"eventName": r["eventName"], "key": o["key"], "size": o.get("size", -1), "config": r["s3"]["configurationId"]}))
`})
}

func waitLogged(ctx context.Context, t *testing.T, api *apiclient.Client, function string, n int) []s3Logged {
	t.Helper()
	for {
		got := logged[s3Logged](ctx, t, api, function, "S3-EVENT ")
		if len(got) >= n {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s logged %d S3 events, want %d: %+v", function, len(got), n, got)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestS3NotificationsAndRestart: a bucket notifies a function (through
// its asynchronous invocation) of the keys its filter selects; objects
// and their events survive a restart; an upload cut short is invisible.
func TestS3NotificationsAndRestart(t *testing.T) {
	dir := t.TempDir()
	p, stop := startAt(t, dir, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := p.lambda().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("onupload"), Runtime: ltypes.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("r"), Code: &ltypes.FunctionCode{ZipFile: s3Sink(t)},
	}); err != nil {
		t.Fatal(err)
	}
	c := p.s3()
	b := aws.String("inbox")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	fnARN := fn.ARN("default", "onupload", "")
	_, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: b,
		NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{{
			LambdaFunctionArn: aws.String(fn.ARN("default", "missing", "")), Events: []s3types.Event{"s3:ObjectCreated:*"}}}}})
	wantS3Error(t, err, "InvalidArgument", 400)
	if _, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: b,
		NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{
			{Id: aws.String("images"), LambdaFunctionArn: aws.String(fnARN), Events: []s3types.Event{"s3:ObjectCreated:*"},
				Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
					{Name: "prefix", Value: aws.String("img/")}, {Name: "suffix", Value: aws.String(".jpg")}}}}},
			{Id: aws.String("removed"), LambdaFunctionArn: aws.String(fnARN), Events: []s3types.Event{"s3:ObjectRemoved:Delete"}},
		}}}); err != nil {
		t.Fatal(err)
	}
	nc, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: b})
	if err != nil || len(nc.LambdaFunctionConfigurations) != 2 || len(nc.LambdaFunctionConfigurations[0].Filter.Key.FilterRules) != 2 {
		t.Fatalf("GetBucketNotificationConfiguration: %+v %v", nc, err)
	}
	for _, k := range []string{"img/a cat.jpg", "img/b.png", "doc/c.jpg", "img/d.jpg"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("doc/c.jpg")}); err != nil {
		t.Fatal(err)
	}
	// An upload cut short: its bytes never become an object.
	pg, err := s3.NewPresignClient(c).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("img/cut.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(pg.URL, p.endpoint)
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000000\r\n\r\n%s", path, strings.TrimPrefix(p.endpoint, "http://"), strings.Repeat("x", 5000))
	time.Sleep(100 * time.Millisecond)
	conn.Close()

	stop()
	p, stop = startAt(t, dir, p.key)
	defer stop()
	c = p.s3()
	for _, k := range []string{"img/a cat.jpg", "img/b.png", "img/d.jpg"} {
		if _, got := getBody(ctx, t, c, &s3.GetObjectInput{Bucket: b, Key: aws.String(k)}); got != k {
			t.Fatalf("%s after the restart: %q", k, got)
		}
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("img/cut.jpg")})
	if err == nil {
		t.Fatal("the upload cut short is visible")
	}
	files, _ := os.ReadDir(filepath.Join(dir, "objects"))
	if len(files) != 0 {
		t.Errorf("%d content files after the restart, want none (the objects are small: inline)", len(files))
	}
	api := apiclient.New(p.endpoint, p.key.APIKey)
	got := waitLogged(ctx, t, api, "onupload", 3)
	var seen []string
	for _, e := range got {
		seen = append(seen, e.EventName+" "+e.Key+" "+e.Config)
	}
	slices.Sort(seen)
	seen = slices.Compact(seen) // delivery is at least once
	want := []string{"ObjectCreated:Put img%2Fa+cat.jpg images", "ObjectCreated:Put img%2Fd.jpg images", "ObjectRemoved:Delete doc%2Fc.jpg removed"}
	if !slices.Equal(seen, want) {
		t.Fatalf("events %q, want %q", seen, want)
	}
}

// patterned is a seekable body of n bytes that costs no memory.
type patterned struct{ off, n int64 }

func (p *patterned) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	k := min(int64(len(b)), p.n-p.off)
	for i := range k {
		b[i] = byte((p.off + i) % 251)
	}
	p.off += k
	return int(k), nil
}

func (p *patterned) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		p.off = off
	case io.SeekCurrent:
		p.off += off
	case io.SeekEnd:
		p.off = p.n + off
	}
	return p.off, nil
}

// TestS3StreamsLargeObjects puts and gets 1 GiB through the SDK: the
// daemon's resident memory must not grow with it.
func TestS3StreamsLargeObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB through the disk: not under -short")
	}
	if raceEnabled {
		t.Skip("1 GiB under the race detector takes minutes: make check runs this test without -race")
	}
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := p.s3()
	b := aws.String("large")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	const size = 1 << 30
	before := rssKiB(t)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("gig"), Body: &patterned{n: size}, ContentLength: aws.Int64(size)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("gig")})
	if err != nil {
		t.Fatal(err)
	}
	h := md5.New()
	n, err := io.Copy(h, out.Body)
	out.Body.Close()
	if err != nil || n != size {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	if etag := fmt.Sprintf(`"%x"`, h.Sum(nil)); etag != *put.ETag {
		t.Fatalf("GET's MD5 %s, PUT's ETag %s", etag, *put.ETag)
	}
	peak := hwmKiB(t)
	t.Logf("RSS before %d MiB, peak %d MiB for a %d MiB object", before>>10, peak>>10, size>>20)
	if grew := peak - before; grew > 256<<10 {
		t.Fatalf("peak RSS grew by %d MiB for a 1 GiB object: the body was buffered", grew>>10)
	}
}

// rssKiB and hwmKiB read this process's resident set and its peak.
func rssKiB(t *testing.T) int64 { return procStatus(t, "VmRSS:") }
func hwmKiB(t *testing.T) int64 { return procStatus(t, "VmHWM:") }

func procStatus(t *testing.T, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field); ok {
			var kib int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kib)
			return kib
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// TestS3WithAWSCLI copies and syncs files with `aws s3` when the aws CLI
// is installed.
func TestS3WithAWSCLI(t *testing.T) {
	t.Parallel() // its own server; long, and mostly waiting on builds, processes and deliveries
	if testing.Short() {
		t.Skip("eight aws CLI runs take about 20 s: not under -short")
	}
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("0123456789abcdef", 1<<20) // 16 MiB: the CLI uploads it in parts
	for name, body := range map[string]string{"a.txt": "alpha", "sub/b.txt": "beta", "big.bin": big} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		cmd := exec.CommandContext(ctx, cli, append([]string{"--endpoint-url", p.endpoint, "--region", "local"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+p.key.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+p.key.SecretAccessKey,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("s3", "mb", "s3://cli")
	run("s3", "cp", filepath.Join(src, "a.txt"), "s3://cli/one/a.txt")
	run("s3", "sync", src, "s3://cli/tree")
	ls := run("s3", "ls", "--recursive", "s3://cli")
	for _, k := range []string{"one/a.txt", "tree/a.txt", "tree/sub/b.txt", "tree/big.bin"} {
		if !strings.Contains(ls, k) {
			t.Errorf("aws s3 ls lacks %s:\n%s", k, ls)
		}
	}
	dst := filepath.Join(dir, "dst")
	run("s3", "sync", "s3://cli/tree", dst)
	for name, want := range map[string]string{"a.txt": "alpha", "sub/b.txt": "beta", "big.bin": big} {
		if got, err := os.ReadFile(filepath.Join(dst, name)); err != nil || string(got) != want {
			t.Errorf("synced %s back: %d bytes, %v", name, len(got), err)
		}
	}
	run("s3", "rm", "--recursive", "s3://cli")
	run("s3", "rb", "s3://cli")
}

// TestS3NotifiesQueuesAndTopics: S3 events reach an SQS queue directly
// and another through an SNS topic, in S3's record shape.
func TestS3NotifiesQueuesAndTopics(t *testing.T) {
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q, c := p.sqs(), p.s3()
	directURL, directARN := sqsQueue(ctx, t, q, "s3-direct")
	viaURL, viaARN := sqsQueue(ctx, t, q, "s3-via-topic")
	tc := p.snsClient(p.key.AccessKeyID, p.key.SecretAccessKey)
	tp, err := tc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("uploads")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(viaARN),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	b := aws.String("events")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: b,
		NotificationConfiguration: &s3types.NotificationConfiguration{
			QueueConfigurations: []s3types.QueueConfiguration{{Id: aws.String("q"), QueueArn: aws.String(directARN), Events: []s3types.Event{"s3:ObjectCreated:Put"}}},
			TopicConfigurations: []s3types.TopicConfiguration{{Id: aws.String("t"), TopicArn: tp.TopicArn, Events: []s3types.Event{"s3:ObjectCreated:*"}}},
		}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("report.csv"), Body: strings.NewReader("a,b")}); err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{"queue": directURL, "topic": viaURL} {
		got := receiveAll(ctx, t, q, url, 5)
		if len(got) != 1 {
			t.Fatalf("%s got %d messages", name, len(got))
		}
		var ev struct {
			Records []struct {
				EventSource, EventName string
				S3                     struct {
					ConfigurationID string `json:"configurationId"`
					Bucket          struct{ Name string }
					Object          struct {
						Key  string
						Size int64
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(got[0]), &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("%s: %q: %v", name, got[0], err)
		}
		r := ev.Records[0]
		if r.EventSource != "aws:s3" || r.EventName != "ObjectCreated:Put" || r.S3.Bucket.Name != "events" || r.S3.Object.Key != "report.csv" || r.S3.Object.Size != 3 {
			t.Fatalf("%s: %+v", name, r)
		}
	}
}
