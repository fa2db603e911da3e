#!/bin/sh
# Download the real, unmodified package set used by docs/precision.md.
#
#   bench/realpkgs.sh DIR [--locked]
#
# DIR/npm  gets `npm pack` tarballs of popular npm packages (latest versions at
#          download time), DIR/deb gets `apt-get download` .deb files of Debian 12
#          (bookworm) Python packages (PyPI itself is not used). Nothing is unpacked
#          or modified. Needs npm and apt-get (after `apt-get update`); no root.
# Without --locked the latest versions are fetched; with --locked the exact versions
# in bench/realpkgs.lock (the set measured on 2026-11-27; a Debian version that has
# left the archive will fail and be listed). A name that fails to download is
# listed in DIR/failed.txt and skipped.
# Never commit the downloaded files.
set -u
dir=${1:?usage: bench/realpkgs.sh DIR [--locked]}
locked=${2:-}
lock=$(cd "$(dirname "$0")" && pwd)/realpkgs.lock
jobs=${JOBS:-4}
mkdir -p "$dir/npm" "$dir/deb"
dir=$(cd "$dir" && pwd)
: > "$dir/failed.txt"

NPM='
lodash underscore ramda immutable rxjs moment dayjs date-fns luxon uuid nanoid
react react-dom react-native react-router react-router-dom redux @reduxjs/toolkit
react-redux mobx zustand next gatsby vue vue-router vuex pinia nuxt svelte
@sveltejs/kit @angular/core @angular/common @angular/compiler @angular/cli
@angular/platform-browser @angular/forms @angular/router preact lit solid-js ember-source
express koa koa-router fastify hapi @hapi/hapi restify connect body-parser cors
helmet morgan cookie-parser express-session multer compression http-proxy-middleware
socket.io socket.io-client ws graphql apollo-server @apollo/server @apollo/client
graphql-tag type-graphql @nestjs/core @nestjs/common @nestjs/platform-express
typescript ts-node tslib @types/node @types/react esbuild @esbuild/linux-x64 webpack
webpack-cli webpack-dev-server rollup vite @vitejs/plugin-react parcel @babel/core
@babel/preset-env @babel/parser @babel/traverse @babel/runtime babel-loader
@swc/core @swc/core-linux-x64-gnu terser uglify-js postcss autoprefixer sass less
tailwindcss css-loader style-loader eslint prettier @typescript-eslint/parser
@typescript-eslint/eslint-plugin stylelint jest mocha chai sinon jasmine-core karma
vitest cypress @playwright/test playwright-core puppeteer puppeteer-core supertest nock
msw @testing-library/react enzyme
aws-sdk @aws-sdk/client-s3 @aws-sdk/client-dynamodb @aws-sdk/client-lambda
@aws-sdk/client-sqs @aws-sdk/client-sns @aws-sdk/client-ec2 @aws-sdk/client-iam
@aws-sdk/client-sts @aws-sdk/client-secrets-manager @aws-sdk/client-cognito-identity-provider
@aws-sdk/credential-providers @aws-sdk/lib-dynamodb @aws-sdk/s3-request-presigner
aws-amplify @aws-amplify/core aws-cdk-lib aws-cdk constructs serverless
googleapis google-auth-library @google-cloud/storage @google-cloud/firestore
@google-cloud/pubsub @google-cloud/bigquery @google-cloud/secret-manager
@google/generative-ai firebase firebase-admin firebase-tools
@azure/identity @azure/storage-blob @azure/msal-node @azure/msal-browser
@azure/keyvault-secrets @azure/cosmos @azure/service-bus azure-storage
stripe twilio @sendgrid/mail @sendgrid/client mailgun.js mailgun-js nodemailer
postmark @mailchimp/mailchimp_marketing @slack/web-api @slack/bolt discord.js
telegraf node-telegram-bot-api openai @anthropic-ai/sdk cohere-ai @huggingface/inference
@mistralai/mistralai groq-sdk replicate langchain @langchain/core @langchain/openai
@octokit/rest @octokit/core octokit @gitbeaker/rest plaid square @paypal/checkout-server-sdk
braintree @shopify/shopify-api shopify-api-node algoliasearch @sentry/node
@sentry/browser @sentry/react dd-trace newrelic @datadog/browser-rum auth0
@auth0/auth0-react @okta/okta-auth-js passport passport-jwt
passport-local passport-google-oauth20 passport-github2 jsonwebtoken jose jwks-rsa
bcrypt bcryptjs argon2 crypto-js node-forge tweetnacl openpgp ssh2 node-rsa
dotenv dotenv-expand config convict cross-env
mongoose mongodb pg pg-promise mysql mysql2 sqlite3 better-sqlite3 redis ioredis
sequelize typeorm @prisma/client prisma knex objection @mikro-orm/core
cassandra-driver neo4j-driver @elastic/elasticsearch mssql tedious oracledb
amqplib kafkajs bull bullmq
axios node-fetch got superagent request needle undici cross-fetch isomorphic-fetch
chalk commander yargs inquirer ora debug winston pino bunyan log4js
fs-extra glob rimraf mkdirp chokidar minimist semver async bluebird
jquery bootstrap @popperjs/core d3 chart.js echarts three @babylonjs/core
pdfjs-dist pdfkit jspdf monaco-editor codemirror ace-builds highlight.js prismjs
katex mathjax plotly.js @fortawesome/fontawesome-free @mui/material @mui/icons-material
antd @ant-design/icons @chakra-ui/react styled-components @emotion/react
framer-motion leaflet mapbox-gl @googlemaps/js-api-loader ol cesium
@tensorflow/tfjs @tensorflow/tfjs-core onnxruntime-web
sharp @img/sharp-libvips-linux-x64 jimp canvas xlsx exceljs papaparse
electron electron-builder @electron/rebuild
handlebars ejs pug mustache nunjucks marked markdown-it showdown
cheerio jsdom htmlparser2 xml2js fast-xml-parser js-yaml yaml ajv joi zod
validator class-validator lodash-es core-js regenerator-runtime
'

DEB='
python3-boto3 python3-botocore python3-s3transfer python3-boto python3-google-auth
python3-google-auth-oauthlib python3-googleapi python3-oauth2client python3-requests
python3-urllib3 python3-django python3-flask python3-sqlalchemy python3-psycopg2
python3-paramiko python3-cryptography python3-jwt python3-oauthlib
python3-requests-oauthlib python3-twilio python3-stripe python3-azure
python3-azure-storage python3-msal python3-adal python3-msrest python3-msrestazure
python3-keystoneclient python3-novaclient python3-swiftclient python3-glanceclient
python3-heatclient python3-neutronclient python3-openstacksdk python3-keystoneauth1
python3-openstackclient python3-keystonemiddleware python3-oslo.config
python3-oslo.messaging python3-celery python3-kombu python3-redis python3-pymongo
python3-pymysql python3-mysqldb python3-sqlparse python3-alembic
python3-sqlalchemy-utils python3-jinja2 python3-werkzeug python3-click python3-httpx
python3-httplib2 python3-aiohttp python3-tornado python3-twisted python3-scrapy
python3-numpy python3-scipy python3-pandas python3-matplotlib python3-sklearn
python3-sympy python3-networkx python3-nltk python3-plotly
python3-dask python3-distributed python3-notebook python3-ipython
python3-jupyter-core python3-nbformat python3-jupyter-client
python3-setuptools python3-pip python3-virtualenv python3-pytest python3-hypothesis
python3-coverage python3-mypy python3-astroid python3-flake8
python3-docutils python3-sphinx python3-pygments python3-babel python3-certifi
python3-chardet python3-idna python3-yaml python3-lxml python3-bs4 python3-html5lib
python3-openssl python3-nacl python3-bcrypt python3-passlib python3-ldap3 python3-ldap
python3-kerberos python3-gssapi python3-fabric python3-invoke python3-docker
python3-dockerpty python3-kubernetes python3-github python3-gitlab python3-jira
python3-tweepy python3-social-auth-core python3-social-django
python3-django-allauth python3-djangorestframework python3-pyasn1 python3-rsa
python3-ecdsa python3-jose python3-jwcrypto python3-josepy python3-acme
python3-certbot python3-libcloud python3-dropbox python3-hvac python3-consul
python3-etcd3 python3-elasticsearch python3-influxdb python3-sentry-sdk
python3-pynetbox python3-pyvmomi python3-proxmoxer python3-zeep python3-suds
python3-keyring python3-secretstorage python3-openpyxl python3-xlrd
python3-reportlab python3-pil python3-cffi python3-six python3-attr
python3-pydantic python3-fastapi python3-starlette python3-uvicorn python3-gunicorn
python3-grpcio python3-protobuf python3-websocket python3-websockets
python3-mechanize python3-selenium python3-rich python3-tqdm
ansible ansible-core
'

if [ "$locked" = --locked ]; then
    NPM=$(sed -n 's/^npm //p' "$lock")
    DEB=$(sed -n 's/^deb //p' "$lock")
elif [ -n "$locked" ]; then
    echo "usage: bench/realpkgs.sh DIR [--locked]" >&2
    exit 2
fi

# npm: one `npm pack` per name, $jobs at a time, each in its own temp dir.
printf '%s\n' $NPM | xargs -P "$jobs" -I{} sh -c '
    t=$(mktemp -d) && cd "$t" &&
    if npm pack --silent --pack-destination "$1/npm" "$2" >/dev/null 2>err.txt; then :;
    else echo "npm $2" >> "$1/failed.txt"; fi; rm -rf "$t"' _ "$dir" {}

# Debian: one `apt-get download` per name (it downloads into the current directory).
cd "$dir/deb" || exit 1
for p in $DEB; do
    apt-get download -q "$p" >/dev/null 2>&1 || echo "deb $p" >> "$dir/failed.txt"
done

echo "npm: $(ls "$dir/npm" | wc -l) files, deb: $(ls "$dir/deb" | wc -l) files," \
     "$(du -sm "$dir/npm" "$dir/deb" | awk '{s+=$1} END {print s}') MB;" \
     "failed: $(wc -l < "$dir/failed.txt")"
