package compat

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/go-jose/go-jose/v4"
)

// oidcIssuer serves an OpenID Connect issuer on loopback: its discovery
// document and its JWKS (one RSA key, kid k1). It returns the issuer URL
// and the signing key.
func oidcIssuer(t *testing.T) (string, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var url string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": url, "jwks_uri": url + "/.well-known/jwks.json",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	url = srv.URL
	return url, key
}

// examples/rest-api/template.yaml: CRUD over the items table through an
// HTTP API whose JWT authorizer trusts a loopback OIDC issuer; the
// function refuses bad bodies with 400 and keeps each user's items apart.
func TestSAMAppRESTAPI(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	issuer, key := oidcIssuer(t)
	_, outputs := p.deployStack(ctx, t, samBuild(t, "rest-api"), "items", map[string]string{"IssuerUrl": issuer, "Audience": "items-api"})
	driveItems(ctx, t, p.apiURL(t, outputs, "ItemsApiUrl"), issuer, key)
}

// driveItems drives the items API at base as Ada and Bob, with tokens of
// issuer signed by key (kid k1), audience items-api.
func driveItems(ctx context.Context, t *testing.T, base, issuer string, key *rsa.PrivateKey) {
	t.Helper()
	tok := func(sub string, k *rsa.PrivateKey, aud string) string {
		return token(t, jose.RS256, k, "k1", claims(issuer, time.Hour, map[string]any{"sub": sub, "aud": aud}))
	}
	ada, bob := tok("ada", key, "items-api"), tok("bob", key, "items-api")

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, bearer := range map[string]string{
		"no token": "", "another key": tok("ada", other, "items-api"), "another audience": tok("ada", key, "other-api"),
		"another issuer": token(t, jose.RS256, key, "k1", claims("https://evil.example", time.Hour, map[string]any{"sub": "ada", "aud": "items-api"})),
	} {
		if st, body := httpDo(ctx, t, "GET", base+"/items", bearer, ""); st != 401 {
			t.Errorf("GET /items with %s: %d %s, want 401", name, st, body)
		}
	}

	for body, want := range map[string]string{
		`{"name":"lamp"}`:                 "price is required",
		`{"name":"lamp","price":-2}`:      "negative",
		`{"name":"lamp","price":1,"x":1}`: `unknown field "x"`,
		`not json`:                        "must be a JSON object",
	} {
		st, got := httpDo(ctx, t, "POST", base+"/items", ada, body)
		var m struct{ Message string }
		if json.Unmarshal([]byte(got), &m); st != 400 || !strings.Contains(m.Message, want) {
			t.Errorf("POST %s: %d %s, want 400 with %q", body, st, got, want)
		}
	}

	type item struct {
		ID, Name, Owner string
		Price           float64
		Tags            []string
	}
	decode := func(body string) item {
		var it item
		if err := json.Unmarshal([]byte(body), &it); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return it
	}
	st, body := httpDo(ctx, t, "POST", base+"/items", ada, `{"name":"lamp","price":12.5,"tags":["home"]}`)
	lamp := decode(body)
	if st != 201 || lamp.ID == "" || lamp.Owner != "ada" || lamp.Price != 12.5 {
		t.Fatalf("POST /items: %d %s", st, body)
	}
	one := base + "/items/" + lamp.ID
	if st, body := httpDo(ctx, t, "GET", one, ada, ""); st != 200 || decode(body).Name != "lamp" {
		t.Fatalf("GET %s: %d %s", one, st, body)
	}
	if st, body := httpDo(ctx, t, "PUT", one, ada, `{"name":"lamp","price":20}`); st != 200 || decode(body).Price != 20 {
		t.Fatalf("PUT %s: %d %s", one, st, body)
	}
	if st, body := httpDo(ctx, t, "GET", base+"/items", ada, ""); st != 200 || !strings.Contains(body, `"price":20`) {
		t.Fatalf("GET /items: %d %s", st, body)
	}
	// Bob sees none of Ada's items.
	if st, body := httpDo(ctx, t, "GET", one, bob, ""); st != 404 {
		t.Errorf("GET Ada's item as Bob: %d %s, want 404", st, body)
	}
	if st, body := httpDo(ctx, t, "GET", base+"/items", bob, ""); st != 200 || body != `{"items":[]}` {
		t.Errorf("GET /items as Bob: %d %s", st, body)
	}
	if st, body := httpDo(ctx, t, "DELETE", one, bob, ""); st != 404 {
		t.Errorf("DELETE Ada's item as Bob: %d %s, want 404", st, body)
	}
	if st, body := httpDo(ctx, t, "DELETE", one, ada, ""); st != 204 {
		t.Fatalf("DELETE %s: %d %s", one, st, body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if st, body := httpDo(ctx, t, m, one, ada, ""); st != 404 {
			t.Errorf("%s %s after its deletion: %d %s, want 404", m, one, st, body)
		}
	}
	if st, body := httpDo(ctx, t, "PUT", one, ada, `{"name":"lamp","price":1}`); st != 404 {
		t.Errorf("PUT on a deleted item: %d %s, want 404", st, body)
	}
}

// examples/nightly-report/template.yaml, its schedule every minute: the
// report of the day before the tick lands in the reports bucket; a run
// that fails lands on the failure queue in Lambda's destination record.
func TestSAMAppNightlyReport(t *testing.T) {
	t.Parallel() // its own server; it waits on shifts and deliveries more than it computes
	p := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	_, outputs := p.deployStack(ctx, t, filepath.Join("..", "..", "examples", "nightly-report", "template.yaml"), "nightly", map[string]string{"ReportSchedule": "rate(1 minute)"})
	p.driveNightly(ctx, t, outputs["SalesTable"], outputs["ReportsBucket"], outputs["ReportFunction"], outputs["FailedReportsQueueUrl"])
}

// driveNightly puts sales in table and waits for the scheduled report in
// bucket, then has function fail and finds the failure on failQueue.
func (p *platform) driveNightly(ctx context.Context, t *testing.T, table, bucket, function, failQueue string) {
	t.Helper()
	cfg := p.awsConfig()
	db := dynamodb.NewFromConfig(cfg)
	// The same sales yesterday and today (a tick after midnight reports on
	// today), and one the day before that the report must leave out.
	now := time.Now().UTC()
	days := []string{now.AddDate(0, 0, -1).Format(time.DateOnly), now.Format(time.DateOnly)}
	sales := []map[string]string{{"amount": "10.10", "category": "books"}, {"amount": "0.20", "category": "books"}, {"amount": "5"}}
	put := func(day string, i int, sale map[string]string) {
		item := map[string]ddb.AttributeValue{"day": &ddb.AttributeValueMemberS{Value: day},
			"id": &ddb.AttributeValueMemberS{Value: fmt.Sprint("sale-", i)}, "amount": &ddb.AttributeValueMemberN{Value: sale["amount"]}}
		if c := sale["category"]; c != "" {
			item["category"] = &ddb.AttributeValueMemberS{Value: c}
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	for _, day := range days {
		for i, s := range sales {
			put(day, i, s)
		}
	}
	put(now.AddDate(0, 0, -2).Format(time.DateOnly), 0, map[string]string{"amount": "1000"})

	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	type report struct {
		Day        string
		Sales      int
		Total      float64
		ByCategory map[string]float64
		Scheduled  string
	}
	var got report
	// A tick before the sales were in reports none; the next one has them.
	for deadline := time.Now().Add(3 * time.Minute); got.Sales == 0; {
		for _, day := range days {
			out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("reports/" + day + ".json")})
			if err != nil {
				continue
			}
			err = json.NewDecoder(out.Body).Decode(&got)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no report with the sales after 3 minutes (last %+v)", got)
		}
		time.Sleep(time.Second)
	}
	if got.Sales != 3 || got.Total != 15.3 || got.ByCategory["books"] != 10.3 || got.ByCategory["other"] != 5 || got.Scheduled == "" {
		t.Fatalf("report %+v", got)
	}

	// A re-run by hand for a day that is none fails; the failure
	// destination gets it.
	if _, err := p.lambda().Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function),
		InvocationType: lambdatypes.InvocationTypeEvent, Payload: []byte(`{"day":"the-31st"}`)}); err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg)
	for deadline := time.Now().Add(time.Minute); ; {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(failQueue), WaitTimeSeconds: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) > 0 {
			var rec struct {
				RequestContext struct {
					Condition   string
					FunctionArn string
				}
				RequestPayload  map[string]string
				ResponsePayload struct{ ErrorMessage string }
			}
			body := aws.ToString(out.Messages[0].Body)
			if err := json.Unmarshal([]byte(body), &rec); err != nil || rec.RequestContext.Condition != "RetriesExhausted" ||
				rec.RequestPayload["day"] != "the-31st" || !strings.Contains(rec.ResponsePayload.ErrorMessage, `day "the-31st"`) {
				t.Fatalf("failure record %s (%v)", body, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no failure record after a minute")
		}
	}
}
