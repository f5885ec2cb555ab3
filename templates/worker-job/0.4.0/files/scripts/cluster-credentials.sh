# Sourced by the deploy workflow's jobs: exchanges the job's GitHub OIDC token for the deploy role
# of the job's environment (ROLE_ARN), and writes a kubeconfig for its EKS cluster (CLUSTER) to
# KUBECONFIG. The credentials last one hour and never leave the job; no kubeconfig secret exists.
# The role's trust policy admits only this repository's deploy workflow in that GitHub environment
# (token.actions.githubusercontent.com:sub = repo:ORG/REPO:environment:ENVIRONMENT).
# shellcheck shell=bash
: "${ROLE_ARN:?set the GitHub environment variable DEPLOY_ROLE_ARN}"
: "${CLUSTER:?set the GitHub environment variable EKS_CLUSTER_NAME}"
: "${AWS_REGION:?}"
: "${KUBECONFIG:?}"
oidc_token="$(curl --silent --show-error --fail \
  -H "Authorization: bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}" \
  "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=sts.amazonaws.com" | jq -r .value)"
echo "::add-mask::${oidc_token}"
credentials="$(aws sts assume-role-with-web-identity --role-arn "$ROLE_ARN" \
  --role-session-name "deploy-${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}" \
  --web-identity-token "$oidc_token" --duration-seconds 3600 --query Credentials --output json)"
unset oidc_token
AWS_ACCESS_KEY_ID="$(jq -r .AccessKeyId <<<"$credentials")"
AWS_SECRET_ACCESS_KEY="$(jq -r .SecretAccessKey <<<"$credentials")"
AWS_SESSION_TOKEN="$(jq -r .SessionToken <<<"$credentials")"
unset credentials
echo "::add-mask::${AWS_SECRET_ACCESS_KEY}"
echo "::add-mask::${AWS_SESSION_TOKEN}"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
umask 077
aws eks update-kubeconfig --name "$CLUSTER" --region "$AWS_REGION" --kubeconfig "$KUBECONFIG" >/dev/null
