//! Connection and state bookkeeping behind [`Endpoint`].

use std::net::SocketAddr;
use std::time::Instant;

use crate::config::ConnectionConfig;
use crate::endpoint::{Endpoint, EndpointError};
use crate::status::EndpointStatus;

/// Connections and states of an endpoint.
#[derive(Default)]
pub(crate) struct Engine {
    pub(crate) connections: Vec<ConnectionConfig>,
}

impl Endpoint {
    pub(crate) fn engine_add_connection(
        &mut self,
        config: ConnectionConfig,
    ) -> Result<(), EndpointError> {
        if self
            .engine
            .connections
            .iter()
            .any(|c| c.name == config.name)
        {
            return Err(EndpointError::DuplicateConnection(config.name));
        }
        self.engine.connections.push(config);
        Ok(())
    }

    pub(crate) fn engine_remove_connection(
        &mut self,
        _now: Instant,
        name: &str,
    ) -> Result<(), EndpointError> {
        let before = self.engine.connections.len();
        self.engine.connections.retain(|c| c.name != name);
        if self.engine.connections.len() == before {
            return Err(EndpointError::UnknownConnection(name.to_owned()));
        }
        Ok(())
    }

    pub(crate) fn engine_initiate(
        &mut self,
        _now: Instant,
        name: &str,
    ) -> Result<(), EndpointError> {
        Err(EndpointError::UnknownConnection(name.to_owned()))
    }

    pub(crate) fn engine_handle(
        &mut self,
        _now: Instant,
        _local: SocketAddr,
        _remote: SocketAddr,
        _datagram: &[u8],
    ) {
    }

    pub(crate) fn engine_poll_timeout(&self) -> Option<Instant> {
        None
    }

    pub(crate) fn engine_handle_timeout(&mut self, _now: Instant) {}

    pub(crate) fn engine_delete(&mut self, _now: Instant, name: &str) -> Result<(), EndpointError> {
        Err(EndpointError::UnknownConnection(name.to_owned()))
    }

    pub(crate) fn engine_status(&self) -> EndpointStatus {
        EndpointStatus::default()
    }

    pub(crate) fn engine_decryption_table(&self) -> Vec<([u8; 8], Vec<u8>)> {
        Vec::new()
    }
}
