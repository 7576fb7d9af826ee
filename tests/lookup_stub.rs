//! `flowq lookup sync enis` against an in-process stand-in that speaks
//! EC2's query protocol (form-encoded POST, XML replies), for what moto
//! cannot do: it ignores MaxResults and never pages. The stub answers
//! DescribeNetworkInterfaces from a script of pages keyed by NextToken and
//! records every request, so a test checks what flowq sent (MaxResults,
//! each NextToken in turn) as well as what it wrote.

mod common;

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use flowq::catalog::lookups;

/// One reply: HTTP status and XML body.
type Reply = (u16, String);
type Script = Box<dyn Fn(&str, usize) -> Reply + Send + Sync>;

struct Stub {
    url: String,
    /// The form bodies received, in order.
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    /// Serves `script(body, n)`, where `n` counts the earlier requests.
    fn start(script: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(Box::new(script));
        let recorded = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (bodies, script) = (Arc::clone(&recorded), Arc::clone(&script));
                std::thread::spawn(move || serve(stream, &bodies, &script));
            }
        });
        Stub { url, bodies }
    }

    fn bodies(&self) -> Vec<String> {
        self.bodies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// One keep-alive connection: requests framed by Content-Length.
fn serve(stream: TcpStream, bodies: &Mutex<Vec<String>>, script: &Script) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = common::read_stub_request(&mut reader) {
        let body = request.body;
        let body = String::from_utf8(body).unwrap();
        let earlier = {
            let mut bodies = bodies.lock().unwrap_or_else(|e| e.into_inner());
            bodies.push(body.clone());
            bodies.len() - 1
        };
        let (status, xml) = script(&body, earlier);
        let response = format!(
            "HTTP/1.1 {status} Stub\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{xml}",
            xml.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// A form field of a request body (`NextToken=t2&...`), undecoded.
fn form_field(body: &str, name: &str) -> Option<String> {
    body.split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_string))
}

/// One interface as DescribeNetworkInterfaces' XML has it.
fn interface(id: &str, name: Option<&str>, instance: Option<&str>, description: &str) -> String {
    let tags = name.map_or(String::new(), |n| {
        format!("<tagSet><item><key>Name</key><value>{n}</value></item></tagSet>")
    });
    let attachment = instance.map_or(String::new(), |i| {
        format!("<attachment><instanceId>{i}</instanceId></attachment>")
    });
    format!(
        "<item><networkInterfaceId>{id}</networkInterfaceId><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId>\
<availabilityZone>eu-west-1b</availabilityZone><description>{description}</description>\
<interfaceType>interface</interfaceType><requesterManaged>false</requesterManaged>{attachment}{tags}\
<privateIpAddressesSet><item><privateIpAddress>10.0.0.1</privateIpAddress></item>\
<item><privateIpAddress>10.0.0.2</privateIpAddress></item></privateIpAddressesSet></item>"
    )
}

fn page(items: &[String], next: Option<&str>) -> Reply {
    let next = next.map_or(String::new(), |t| format!("<nextToken>{t}</nextToken>"));
    (
        200,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeNetworkInterfacesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
<requestId>r-1</requestId><networkInterfaceSet>{}</networkInterfaceSet>{next}</DescribeNetworkInterfacesResponse>",
            items.concat()
        ),
    )
}

fn sync(url: &str, config: &Path) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
    common::aws_stand_in_env(&mut command, url);
    command
        .arg("--config")
        .arg(config)
        .args(["lookup", "sync", "enis", "--region", "eu-west-1"])
        .output()
        .unwrap()
}

#[test]
fn sync_follows_every_next_token() {
    let stub = Stub::start(|body, _| {
        match form_field(body, "NextToken").as_deref() {
        None => page(
            &[
                interface("eni-3", Some("db"), Some("i-3"), "line one&#xA;line two"),
                interface("eni-1", None, None, "no name"),
            ],
            Some("t2"),
        ),
        Some("t2") => page(&[interface("eni-2", Some("web, blue"), Some("i-2"), "")], Some("t3")),
        Some("t3") => page(&[interface("eni-4", Some("app"), None, "last")], None),
        Some(other) => (400, format!("<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>token {other}</Message></Error></Errors></Response>")),
    }
    });
    let config = common::athena_config("lookup-stub-pages", &[]);
    let out = sync(&stub.url, &config);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("wrote 4 network interfaces (3 pages"),
        "{stderr}"
    );
    let bodies = stub.bodies();
    let tokens: Vec<Option<String>> = bodies.iter().map(|b| form_field(b, "NextToken")).collect();
    assert_eq!(tokens, vec![None, Some("t2".into()), Some("t3".into())]);
    assert!(bodies
        .iter()
        .all(|b| b.contains("Action=DescribeNetworkInterfaces")));
    assert!(bodies
        .iter()
        .all(|b| form_field(b, "MaxResults").as_deref() == Some("1000")));
    let text = std::fs::read_to_string(config.parent().unwrap().join("lookups/enis.csv")).unwrap();
    let (table, problems) = lookups::parse_csv(&text);
    assert!(problems.is_empty(), "{problems:?}");
    let rows: Vec<String> = table.unwrap().rows.iter().map(|r| r.join("|")).collect();
    assert_eq!(
        rows,
        vec![
            "eni-1|||no name|interface||false|subnet-1|vpc-1|eu-west-1b|10.0.0.1 10.0.0.2",
            "eni-2|i-2|web, blue||interface||false|subnet-1|vpc-1|eu-west-1b|10.0.0.1 10.0.0.2",
            "eni-3|i-3|db|line one line two|interface||false|subnet-1|vpc-1|eu-west-1b|10.0.0.1 10.0.0.2",
            "eni-4||app|last|interface||false|subnet-1|vpc-1|eu-west-1b|10.0.0.1 10.0.0.2",
        ]
    );
    assert!(
        text.contains("# written by flowq lookup sync enis (region eu-west-1)"),
        "{text}"
    );
}

#[test]
fn a_token_that_repeats_stops_the_sync_and_writes_nothing() {
    let stub = Stub::start(|_, _| page(&[interface("eni-1", None, None, "")], Some("again")));
    let config = common::athena_config("lookup-stub-loop", &[]);
    let out = sync(&stub.url, &config);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("kept answering with a next page after 2 pages"),
        "{stderr}"
    );
    assert_eq!(stub.bodies().len(), 2);
    assert!(!config.parent().unwrap().join("lookups").exists());
}

#[test]
fn a_refused_call_says_what_permission_is_needed() {
    let stub = Stub::start(|_, _| {
        (
            403,
            "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>r-1</RequestID></Response>".into(),
        )
    });
    let config = common::athena_config("lookup-stub-denied", &[]);
    let out = sync(&stub.url, &config);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("UnauthorizedOperation"), "{stderr}");
    assert!(stderr.contains("ec2:DescribeNetworkInterfaces"), "{stderr}");
    assert!(!config.parent().unwrap().join("lookups").exists());
}
