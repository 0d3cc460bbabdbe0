// Command users is the sign-up route of examples/signup-welcome: POST
// /users with {"email": "...", "name": "..."} puts a new user in the table
// named by USERS_TABLE and answers 201 with the user; the table's stream
// then brings the new item to the welcome function. A body that is not a
// sign-up gets 400 with a message saying what to fix.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/mail"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// User is a signed-up user, as the table holds it.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// parseSignup reads and checks a sign-up body.
func parseSignup(body string) (User, error) {
	var u User
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		return u, fmt.Errorf("the body must be a JSON object with email and an optional name: %v", err)
	}
	if u.ID != "" {
		return u, fmt.Errorf("id is chosen by the service: leave it out")
	}
	addr, err := mail.ParseAddress(u.Email)
	if err != nil || addr.Address != u.Email {
		return u, fmt.Errorf("email %q is not an email address", u.Email)
	}
	if len(u.Name) > 100 {
		return u, fmt.Errorf("name has %d characters, at most 100 are allowed", len(u.Name))
	}
	return u, nil
}

func reply(status int, v any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(v)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(b),
		Headers: map[string]string{"content-type": "application/json"}}
}

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return reply(400, map[string]string{"message": "the body is not valid base64"}), nil
		}
		body = string(b)
	}
	u, err := parseSignup(body)
	if err != nil {
		return reply(400, map[string]string{"message": err.Error()}), nil
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	u.ID = "u-" + hex.EncodeToString(id)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	item := map[string]types.AttributeValue{
		"id":    &types.AttributeValueMemberS{Value: u.ID},
		"email": &types.AttributeValueMemberS{Value: u.Email},
	}
	if u.Name != "" {
		item["name"] = &types.AttributeValueMemberS{Value: u.Name}
	}
	table := os.Getenv("USERS_TABLE")
	if _, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &table, Item: item, ConditionExpression: aws.String("attribute_not_exists(id)"),
	}); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("put user %s in %s: %w", u.ID, table, err)
	}
	r := reply(201, u)
	r.Headers["location"] = "/users/" + u.ID
	return r, nil
}

func main() { lambda.Start(handle) }
