//! `landq-demo`: the README's walkthrough. Serves a fake GitHub (default
//! `127.0.0.1:3100`) with one pull request ready to land, delivers its
//! review and label webhooks to landq (default
//! `http://127.0.0.1:3000/webhook`, secret `LANDQ_WEBHOOK_SECRET` or
//! `change-me`), and prints the squash commit once landq has landed it.

use std::process::ExitCode;

use landq_fake_github::demo::Demo;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:3100".into());
    let webhook = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3000/webhook".into());
    let secret = std::env::var("LANDQ_WEBHOOK_SECRET").unwrap_or_else(|_| "change-me".into());
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("landq-demo: cannot listen on {listen}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let demo = Demo::start(listener);
    println!(
        "fake GitHub at {}: acme/app pull request #{} is approved and labelled; delivering to {webhook}",
        demo.hub.url(),
        demo.pr
    );
    match demo
        .run(&webhook, &secret, |what| eprintln!("{what}"))
        .await
    {
        Ok((sha, message)) => {
            println!("landed as {sha}:\n\n{message}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("landq-demo: {err}");
            ExitCode::FAILURE
        }
    }
}
