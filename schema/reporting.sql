-- The reporting schema: the contract of /work/shared/docs/reporting-tables.md.
-- Read by schema/schema.c: versioned sections, statements end with ';' at the
-- end of a line.  Version 1 is the full schema; later versions are forward
-- migrations (ALTER TABLE ...) applied in order by db-sync.  Table names are
-- unqualified: db-sync and the staging code write the schema in.
-- Timestamps are UTC.  last_update / last_seen are plain NULL-able
-- timestamps: no DEFAULT CURRENT_TIMESTAMP, no ON UPDATE magic.

-- version: 1

CREATE TABLE metadata (
  table_name varchar(64) NOT NULL COMMENT 'Name of a reporting table',
  last_update timestamp NULL DEFAULT NULL COMMENT 'When the last successful refresh of the table started (UTC)',
  row_count int DEFAULT NULL COMMENT 'Number of rows in the table after that refresh (rows)',
  PRIMARY KEY (table_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Database metadata';

CREATE TABLE hypervisor (
  id int NOT NULL COMMENT 'Compute node id in its cell',
  availability_zone varchar(255) NOT NULL COMMENT 'Availability zone of the host (aggregate AZ, else the cell name)',
  host varchar(255) NOT NULL COMMENT 'Short host name (hypervisor hostname up to its first dot)',
  hostname varchar(255) DEFAULT NULL COMMENT 'Full hypervisor hostname',
  ip_address varchar(39) DEFAULT NULL COMMENT 'Host IP address (IPv4 or IPv6 text)',
  cpus int DEFAULT NULL COMMENT 'Virtual CPUs (count)',
  memory int DEFAULT NULL COMMENT 'Memory (MB)',
  local_storage int DEFAULT NULL COMMENT 'Local disk storage (GB)',
  last_seen timestamp NULL DEFAULT NULL COMMENT 'Last refresh that saw this compute node (UTC)',
  active boolean DEFAULT NULL COMMENT 'Whether the compute node was seen in the last refresh (1 = yes)',
  PRIMARY KEY (id, availability_zone, host),
  KEY hostname (hostname),
  KEY ip_address (ip_address),
  KEY last_seen (last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Compute nodes';

CREATE TABLE project (
  id varchar(36) NOT NULL COMMENT 'Project id (keystone)',
  display_name varchar(64) DEFAULT NULL COMMENT 'Project name',
  organisation varchar(255) DEFAULT NULL COMMENT 'Organisation of the project owner',
  description text DEFAULT NULL COMMENT 'Project description',
  enabled boolean DEFAULT NULL COMMENT 'Whether the project is enabled (1 = yes)',
  personal boolean DEFAULT NULL COMMENT 'Whether this is a personal trial project (name starts with pt-)',
  has_instances boolean DEFAULT NULL COMMENT 'Whether the project owns at least one instance, deleted ones included',
  quota_instances int DEFAULT NULL COMMENT 'Instance quota (instances, -1 = unlimited)',
  quota_vcpus int DEFAULT NULL COMMENT 'Virtual CPU quota (cores, -1 = unlimited)',
  quota_memory int DEFAULT NULL COMMENT 'Memory quota (MB, -1 = unlimited)',
  quota_volume_total int DEFAULT NULL COMMENT 'Volume storage quota (GB)',
  quota_snapshot int DEFAULT NULL COMMENT 'Volume snapshot quota (snapshots)',
  quota_volume_count int DEFAULT NULL COMMENT 'Volume quota (volumes)',
  PRIMARY KEY (id),
  KEY personal (personal),
  KEY has_instances (has_instances)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Project resource quotas';

CREATE TABLE user (
  id varchar(64) NOT NULL COMMENT 'User id (keystone)',
  name varchar(255) DEFAULT NULL COMMENT 'Display name of the user',
  email varchar(255) DEFAULT NULL COMMENT 'Email address of the user',
  default_project varchar(36) DEFAULT NULL COMMENT 'Id of the user''s default project',
  enabled boolean DEFAULT NULL COMMENT 'Whether the user is enabled (1 = yes)',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Users';

CREATE TABLE role (
  role varchar(255) NOT NULL COMMENT 'Role name',
  user varchar(64) NOT NULL COMMENT 'User id holding the role',
  project varchar(36) NOT NULL COMMENT 'Project id the role is held on',
  PRIMARY KEY (role, user, project)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='User membership of projects, with roles';

CREATE TABLE flavour (
  id int NOT NULL COMMENT 'Flavour id (internal)',
  uuid varchar(36) DEFAULT NULL COMMENT 'Flavour flavorid (not unique)',
  name varchar(255) DEFAULT NULL COMMENT 'Flavour name',
  vcpus int DEFAULT NULL COMMENT 'Virtual CPUs (count)',
  memory int DEFAULT NULL COMMENT 'Memory (MB)',
  root int DEFAULT NULL COMMENT 'Root disk size (GB)',
  ephemeral int DEFAULT NULL COMMENT 'Ephemeral disk size (GB)',
  public boolean DEFAULT NULL COMMENT 'Whether the flavour is public (1 = yes)',
  active boolean DEFAULT NULL COMMENT 'Whether the flavour is active, not deleted (1 = yes)',
  PRIMARY KEY (id),
  KEY uuid (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Types of virtual machine';

CREATE TABLE instance (
  project_id varchar(36) DEFAULT NULL COMMENT 'Id of the owning project',
  id varchar(36) NOT NULL COMMENT 'Instance uuid',
  name varchar(255) DEFAULT NULL COMMENT 'Instance display name',
  vcpus int DEFAULT NULL COMMENT 'Virtual CPUs (count)',
  memory int DEFAULT NULL COMMENT 'Memory (MB)',
  root int DEFAULT NULL COMMENT 'Root disk size (GB)',
  ephemeral int DEFAULT NULL COMMENT 'Ephemeral disk size (GB)',
  flavour int DEFAULT NULL COMMENT 'Flavour id (flavour.id)',
  created_by varchar(36) DEFAULT NULL COMMENT 'Id of the user who created the instance',
  created datetime DEFAULT NULL COMMENT 'Creation time (UTC)',
  deleted datetime DEFAULT NULL COMMENT 'Deletion time (UTC), NULL when not deleted',
  active boolean DEFAULT NULL COMMENT 'Whether the instance is not deleted (1 = yes)',
  hypervisor varchar(255) DEFAULT NULL COMMENT 'Host the instance runs on',
  availability_zone varchar(255) DEFAULT NULL COMMENT 'Availability zone of the instance',
  cell_name varchar(255) DEFAULT NULL COMMENT 'Nova cell the instance belongs to',
  PRIMARY KEY (id),
  KEY project_id (project_id),
  KEY hypervisor (hypervisor),
  KEY availability_zone (availability_zone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Virtual machine instances';

CREATE TABLE volume (
  id varchar(36) NOT NULL COMMENT 'Volume uuid',
  project_id varchar(36) DEFAULT NULL COMMENT 'Id of the owning project',
  display_name varchar(64) DEFAULT NULL COMMENT 'Volume display name',
  size int DEFAULT NULL COMMENT 'Volume size (GB)',
  created datetime DEFAULT NULL COMMENT 'Creation time (UTC)',
  deleted datetime DEFAULT NULL COMMENT 'Deletion time (UTC), NULL when not deleted',
  attached boolean DEFAULT NULL COMMENT 'Whether the volume is attached (1 = yes)',
  instance_uuid varchar(36) DEFAULT NULL COMMENT 'Uuid of the instance it is attached to (smallest when several)',
  availability_zone varchar(255) DEFAULT NULL COMMENT 'Availability zone of the volume',
  active boolean DEFAULT NULL COMMENT 'Whether the volume is not deleted (1 = yes)',
  PRIMARY KEY (id),
  KEY project_id (project_id),
  KEY instance_uuid (instance_uuid),
  KEY availability_zone (availability_zone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='External storage volumes';

CREATE TABLE image (
  id varchar(36) NOT NULL COMMENT 'Image uuid',
  project_id varchar(36) DEFAULT NULL COMMENT 'Id of the owning project',
  name varchar(255) DEFAULT NULL COMMENT 'Image name',
  size bigint DEFAULT NULL COMMENT 'Image size (bytes)',
  status varchar(30) DEFAULT NULL COMMENT 'Image status (glance)',
  public boolean DEFAULT NULL COMMENT 'Whether the image is public (1 = yes)',
  created datetime DEFAULT NULL COMMENT 'Creation time (UTC)',
  deleted datetime DEFAULT NULL COMMENT 'Deletion time (UTC), NULL when not deleted',
  active boolean DEFAULT NULL COMMENT 'Whether the image is not deleted (1 = yes)',
  PRIMARY KEY (id),
  KEY project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Operating system images';

CREATE TABLE aggregate (
  id int NOT NULL COMMENT 'Aggregate id',
  availability_zone varchar(255) NOT NULL COMMENT 'Availability zone of the aggregate (empty when none)',
  name varchar(255) DEFAULT NULL COMMENT 'Aggregate name',
  created datetime DEFAULT NULL COMMENT 'Creation time (UTC)',
  deleted datetime DEFAULT NULL COMMENT 'Deletion time (UTC): refresh at which it was first missing',
  active boolean DEFAULT NULL COMMENT 'Whether the aggregate was seen in the last refresh (1 = yes)',
  PRIMARY KEY (id, availability_zone)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Aggregate definitions';

CREATE TABLE aggregate_host (
  id int NOT NULL COMMENT 'Aggregate id',
  availability_zone varchar(255) NOT NULL COMMENT 'Availability zone of the aggregate',
  host varchar(255) NOT NULL COMMENT 'Short host name (up to its first dot)',
  last_seen timestamp NULL DEFAULT NULL COMMENT 'Last refresh that saw this mapping (UTC)',
  active boolean DEFAULT NULL COMMENT 'Whether the mapping was seen in the last refresh (1 = yes)',
  PRIMARY KEY (id, availability_zone, host),
  KEY last_seen (last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Mappings between aggregates and hosts';

CREATE TABLE historical_usage (
  day date NOT NULL COMMENT 'Day (UTC)',
  vcpus int DEFAULT NULL COMMENT 'Virtual CPUs of instances alive on the day (count)',
  memory int DEFAULT NULL COMMENT 'Memory of instances alive on the day (MB)',
  local_storage int DEFAULT NULL COMMENT 'Root plus ephemeral disk of instances alive on the day (GB)',
  PRIMARY KEY (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Daily snapshots of resource usage';

CREATE TABLE allocation (
  id int NOT NULL COMMENT 'Allocation request id',
  project_id varchar(36) DEFAULT NULL COMMENT 'Id of the project (NULL when none)',
  project_name varchar(255) DEFAULT NULL COMMENT 'Requested project name',
  contact_email varchar(75) DEFAULT NULL COMMENT 'Email of the requester',
  approver_email varchar(75) DEFAULT NULL COMMENT 'Email of the approver',
  chief_investigator varchar(75) DEFAULT NULL COMMENT 'Email of the chief investigator (smallest when several)',
  status varchar(1) DEFAULT NULL COMMENT 'Request status code (A, X or J)',
  start_date datetime DEFAULT NULL COMMENT 'Start of the allocation (UTC)',
  end_date datetime DEFAULT NULL COMMENT 'End of the allocation (UTC)',
  modified_time datetime DEFAULT NULL COMMENT 'Last modification of the request (UTC)',
  field_of_research_1 varchar(6) DEFAULT NULL COMMENT 'First field of research code',
  for_percentage_1 int DEFAULT NULL COMMENT 'Share of the first field of research (percent)',
  field_of_research_2 varchar(6) DEFAULT NULL COMMENT 'Second field of research code',
  for_percentage_2 int DEFAULT NULL COMMENT 'Share of the second field of research (percent)',
  field_of_research_3 varchar(6) DEFAULT NULL COMMENT 'Third field of research code',
  for_percentage_3 int DEFAULT NULL COMMENT 'Share of the third field of research (percent)',
  funding_national int DEFAULT NULL COMMENT 'National funding share (percent)',
  funding_node varchar(128) DEFAULT NULL COMMENT 'Funding node name',
  PRIMARY KEY (id),
  KEY project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='A record of the allocations that were awarded';
