//! `flowq lookup sync enis` against moto's EC2 in server mode: the real
//! binary, the real SDK, the real wire protocol (EC2's query protocol), no
//! AWS account. The test makes a VPC, a subnet and network interfaces
//! through the SDK (one with a Name tag and a comma in its description,
//! one with no tag at all, one attached to an instance), runs the binary
//! and reads the CSV it wrote back. moto ignores MaxResults, so paging is
//! tested against a stub in tests/lookup_stub.rs. tests/run starts moto
//! and exports FLOWQ_MOTO_URL; under tests/run and CI a missing moto fails
//! these tests, a bare `cargo test` skips them saying so.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use flowq::catalog::lookups;

/// What the test made in moto: interface id -> (Name tag, instance id).
struct Made {
    vpc: String,
    subnet: String,
    named: String,
    unnamed: String,
    attached: String,
    instance: String,
}

/// A VPC of its own (moto keeps state across tests, and others' ENIs are
/// told apart by their VPC) with one subnet and three interfaces.
fn make_network(url: &str) -> Made {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let loader = flowq::engine::aws::config_loader(Some("us-east-1"), None)
        .endpoint_url(url)
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ));
    runtime.block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&loader.load().await);
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.77.0.0/16")
            .send()
            .await
            .unwrap();
        let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.77.1.0/24")
            .availability_zone("us-east-1a")
            .send()
            .await
            .unwrap();
        let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
        let tagged = |name: &str| {
            TagSpecification::builder()
                .resource_type(ResourceType::NetworkInterface)
                .tags(Tag::builder().key("Name").value(name).build())
                .build()
        };
        let named = ec2
            .create_network_interface()
            .subnet_id(&subnet)
            .private_ip_address("10.77.1.10")
            .description("web front, \"blue\"")
            .tag_specifications(tagged("web-1"))
            .send()
            .await
            .unwrap();
        let named = named
            .network_interface()
            .unwrap()
            .network_interface_id()
            .unwrap()
            .to_string();
        let unnamed = ec2
            .create_network_interface()
            .subnet_id(&subnet)
            .private_ip_address("10.77.1.11")
            .send()
            .await
            .unwrap();
        let unnamed = unnamed
            .network_interface()
            .unwrap()
            .network_interface_id()
            .unwrap()
            .to_string();
        let images = ec2.describe_images().send().await.unwrap();
        let image = images.images()[0].image_id().unwrap().to_string();
        let ran = ec2
            .run_instances()
            .image_id(image)
            .min_count(1)
            .max_count(1)
            .subnet_id(&subnet)
            .send()
            .await
            .unwrap();
        let instance = &ran.instances()[0];
        let attached = instance.network_interfaces()[0]
            .network_interface_id()
            .unwrap()
            .to_string();
        Made {
            vpc,
            subnet,
            named,
            unnamed,
            attached,
            instance: instance.instance_id().unwrap().to_string(),
        }
    })
}

/// A catalog folder of its own: flowq.yaml with an Athena source; the
/// table goes to its lookups/enis.csv.
fn catalog() -> PathBuf {
    common::athena_config("lookup-sync", &[])
}

fn sync(url: &str, config: &Path, extra: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
    common::aws_stand_in_env(&mut command, url);
    command
        .arg("--config")
        .arg(config)
        .args(["lookup", "sync", "enis"])
        .args(extra)
        .output()
        .unwrap()
}

fn table_of(config: &Path) -> (String, flowq::lang::ir::LookupTable) {
    let path = config.parent().unwrap().join("lookups/enis.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let (table, problems) = lookups::parse_csv(&text);
    // An account with no interfaces gives a table with no rows: a warning.
    assert!(
        problems.iter().all(|d| !d.is_error()),
        "{problems:?}\n{text}"
    );
    (text, table.unwrap())
}

#[test]
fn sync_writes_every_interface_with_its_name_instance_and_addresses() {
    let Some(url) = common::moto_url() else {
        return;
    };
    let made = make_network(&url);
    let config = catalog();
    let out = sync(&url, &config, &["--region", "us-east-1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("network interfaces (1 page of DescribeNetworkInterfaces)"),
        "{stderr}"
    );
    let (text, table) = table_of(&config);
    assert!(text.starts_with(lookups::SYNC_COMMENT), "{text}");
    assert_eq!(table.columns, flowq::schema::ENI_COLUMNS);
    let column = |name: &str| table.columns.iter().position(|c| c == name).unwrap();
    let ours: BTreeMap<&str, &Vec<String>> = table
        .rows
        .iter()
        .filter(|r| r[column("vpc_id")] == made.vpc)
        .map(|r| (r[0].as_str(), r))
        .collect();
    let mut expected = vec![
        made.named.as_str(),
        made.unnamed.as_str(),
        made.attached.as_str(),
    ];
    expected.sort();
    assert_eq!(ours.keys().copied().collect::<Vec<_>>(), expected, "{text}");
    let named = ours[made.named.as_str()];
    assert_eq!(named[column("name")], "web-1");
    assert_eq!(named[column("description")], "web front, \"blue\"");
    assert_eq!(named[column("private_ips")], "10.77.1.10");
    assert_eq!(named[column("instance_id")], "");
    let unnamed = ours[made.unnamed.as_str()];
    assert_eq!(unnamed[column("name")], "", "no Name tag: an empty name");
    assert_eq!(unnamed[column("private_ips")], "10.77.1.11");
    let attached = ours[made.attached.as_str()];
    assert_eq!(attached[column("instance_id")], made.instance);
    for row in ours.values() {
        assert_eq!(row[column("subnet_id")], made.subnet);
        assert_eq!(row[column("availability_zone")], "us-east-1a");
    }
    // Rows are sorted by interface id, so a re-sync diffs cleanly.
    let ids: Vec<&String> = table.rows.iter().map(|r| &r[0]).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);

    // A second sync replaces the file it wrote.
    let again = sync(&url, &config, &[]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn sync_leaves_a_file_flowq_did_not_write_unless_forced() {
    let Some(url) = common::moto_url() else {
        return;
    };
    let config = catalog();
    let path = config.parent().unwrap().join("lookups/enis.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mine = "interface_id,name\neni-mine,kept by hand\n";
    std::fs::write(&path, mine).unwrap();
    let out = sync(&url, &config, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("flowq did not write it"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), mine);
    let forced = sync(&url, &config, &["--force"]);
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let (text, _) = table_of(&config);
    assert!(text.starts_with(lookups::SYNC_COMMENT), "{text}");
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("enis.csv")]);
}
