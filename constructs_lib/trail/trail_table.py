"""The trail bucket's Athena table: a Glue database and the CloudTrail table with partition
projection that `make replay ARGS=--athena` queries (models.cloudtrail_table holds its shape)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktf_cdktf_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTablePartitionKeys,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
    GlueCatalogTableStorageDescriptorSerDeInfo,
)
from constructs import Construct

from constructs_lib.foundation.region_account import Placement
from models import cloudtrail_table as shape
from models import terraform

BUCKET, ACCOUNT = terraform.placeholder("bucket"), terraform.placeholder("account")


class TrailTable(Construct):
    """The Athena guide's CloudTrail table over ``bucket_name``'s log files (one account's, or
    with ``layout.organization_id`` every account's of the organization), every region of
    ``layout.regions`` and every day from models.cloudtrail_table.FIRST_DAY, in a database of
    its own. Exposes ``database_name`` and ``table_name`` (plain strings, for the operator
    commands) and ``table``.

    Only metadata: Athena reads the bucket with the querying identity's permissions (and, for a
    bucket encrypted with a customer managed key, its kms:Decrypt); nothing here grants them.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        bucket_name: str,
        database_name: str,
        table_name: str,
        layout: shape.TableLayout,
    ) -> None:
        super().__init__(scope, id)
        self.database_name, self.table_name = database_name, table_name
        references = {BUCKET: bucket_name, ACCOUNT: placement.account_id}

        def s3(path: str) -> str:
            # Our own text, but holding the template's ${...}, which Terraform would evaluate:
            # written $${...} (models.terraform; hashicorp/terraform-provider-aws#12129's
            # working projection table escapes its template so).
            return terraform.literal(f"s3://{BUCKET}/{path}", references)

        database = GlueCatalogDatabase(
            self,
            "database",
            name=terraform.literal(database_name),
            description="CloudTrail logs of the trail bucket, for Athena (make replay ARGS=--athena)",
            provider=placement.provider,
        )
        parameters = {
            # What Athena's CREATE EXTERNAL TABLE records; the data outlives the table.
            "EXTERNAL": "TRUE",
            **layout.projection(),
            "storage.location.template": s3(layout.template(ACCOUNT)),
        }
        self.table = GlueCatalogTable(
            self,
            "table",
            database_name=database.name,
            name=table_name,
            description="The Athena guide's CloudTrail table with partition projection "
            "(create-cloudtrail-table-partition-projection.html), by region and day",
            table_type="EXTERNAL_TABLE",
            # Projection properties are table parameters, not the storage descriptor's (Athena
            # guide, partition-projection-setting-up.html; aws/aws-cdk#27365).
            parameters=parameters,
            partition_keys=[
                GlueCatalogTablePartitionKeys(name=key, type=shape.STRING)
                for key in layout.partition_keys
            ],
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=s3(layout.prefix(ACCOUNT)),
                input_format=shape.INPUT_FORMAT,
                output_format=shape.OUTPUT_FORMAT,
                ser_de_info=GlueCatalogTableStorageDescriptorSerDeInfo(
                    serialization_library=shape.SERDE
                ),
                columns=[
                    GlueCatalogTableStorageDescriptorColumns(
                        name=name, type=shape.hive_type(column_type)
                    )
                    for name, column_type in shape.COLUMNS
                ],
            ),
            provider=placement.provider,
        )
